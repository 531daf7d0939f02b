// The report form: a centre's member of staff takes a report with the
// person in front of them. The draft is kept in this tab's session storage
// (never sent anywhere until "Send"), with one request_id per draft so that
// a double click or a retry after a timeout stores one report. Field errors
// come from the API's BadRequest and appear beside their fields.
import { call, clearErrors, fieldViolations, showErrors, signedIn, t, withoutNote } from '/static/js/page.js';

const DRAFT = 'hirs-report-draft';
const form = document.getElementById('report-form');
const button = document.getElementById('report-submit');
let received = false;

function newRequestId() {
  return `web-${crypto.randomUUID()}`;
}

function loadDraft() {
  try { return JSON.parse(sessionStorage.getItem(DRAFT)) || {}; } catch (e) { return {}; }
}

function saveDraft() {
  if (received) return;  // the report is sent: nothing to keep
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === 'checkbox' || element.type === 'radio') {
      if (element.checked) (values[element.name] ||= []).push(element.value);
    } else {
      values[element.name] = element.value;
    }
  }
  const draft = loadDraft();
  sessionStorage.setItem(DRAFT, JSON.stringify({ requestId: draft.requestId || newRequestId(), values }));
}

function restoreDraft() {
  const { values } = loadDraft();
  if (!values) return;
  for (const element of form.elements) {
    if (!element.name || !(element.name in values)) continue;
    const value = values[element.name];
    if (element.type === 'checkbox' || element.type === 'radio') {
      element.checked = Array.isArray(value) && value.includes(element.value);
    } else {
      element.value = value;
    }
  }
}

// Shows only the questions that apply: identity when not anonymous, the
// platform for online incidents.
function showWhatApplies() {
  const anonymous = form.querySelector('input[name=anonymous]:checked')?.value === 'yes';
  document.getElementById('identity-fields').hidden = anonymous;
  document.getElementById('online-fields').hidden = form['location.place_type'].value !== 'ONLINE';
}

function checked(name) {
  return [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function value(name) {
  return form[name].value.trim();
}

function yes(name) {
  const answer = checked(name)[0];
  return answer === undefined ? undefined : answer === 'yes';
}

// The UTC time of a day/month/year (and HH:MM) group, in the browser's
// time zone; '' when empty; null when it is not a date.
function instant(prefix, withTime) {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => value(`${prefix}_${p}`));
  const time = withTime ? value(`${prefix}_time`) : '';
  if (!d && !m && !y && !time) return '';
  const hm = /^(\d{1,2})(?::|\.)?(\d{2})?$/.exec(time || '0:00');
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y) || !hm) return null;
  const at = new Date(Number(y), Number(m) - 1, Number(d), Number(hm[1]), Number(hm[2] || 0));
  if (at.getDate() !== Number(d) || at.getMonth() !== Number(m) - 1) return null;
  return at.toISOString();
}

function dateOnly(prefix) {
  const [d, m, y] = ['day', 'month', 'year'].map((p) => value(`${prefix}_${p}`));
  if (!d && !m && !y) return '';
  return `${y.padStart(4, '0')}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

// The Report the form describes, and the fields whose dates do not parse.
function reportOf() {
  const notDates = [];
  const start = instant('occurred_start', true);
  const end = instant('occurred_end', true);
  if (start === null) notDates.push('report.occurred_start');
  if (end === null) notDates.push('report.occurred_end');
  const anonymous = yes('anonymous') === true;
  const online = value('location.place_type') === 'ONLINE';
  const victim = {
    ageBand: value('victim.age_band') || undefined,
    gender: value('victim.gender'),
    ethnicity: value('victim.ethnicity'),
  };
  if (!anonymous) {
    Object.assign(victim, {
      fullName: value('victim.full_name'),
      dateOfBirth: dateOnly('victim_date_of_birth'),
      phone: value('victim.phone'),
      email: value('victim.email'),
      address: value('victim.address'),
      postcode: value('victim.postcode'),
    });
  }
  const report = {
    incidentTypes: checked('incident_types'),
    description: value('description'),
    motivations: checked('motivations'),
    occurredStart: start || undefined,
    occurredEnd: end || undefined,
    location: {
      placeType: value('location.place_type') || undefined,
      postcode: value('location.postcode'),
      description: value('location.description'),
      onlinePlatform: online ? value('location.online_platform') : '',
    },
    schoolRelated: form.school_related.checked,
    reporterRole: checked('reporter_role')[0],
    victim,
    consent: { anonymous, shareWithPolice: yes('share_with_police') === true, contactVictim: yes('contact_victim') === true },
    crimeReference: value('crime_reference'),
    sourceReference: value('source_reference'),
  };
  return { report, notDates };
}

// The question a violation's field belongs to: "report.motivations[2]" is
// the motivations question; "report.location" the postcode.
function questionOf(field) {
  const plain = field.replace(/\[\d+\]$/, '');
  if (plain === 'report.location') return 'report.location.postcode';
  return document.getElementById(plain) ? plain : '';
}

function labelOf(field) {
  const group = document.getElementById(`${field}-group`);
  const label = group?.querySelector('legend, label');
  return label ? withoutNote(label.textContent) : '';
}

// The server's violations beside their questions: the question's label in
// the page's language, then the server's words.
function showViolations(violations) {
  showErrors(violations.map((v) => {
    const field = questionOf(v.field);
    const label = field ? labelOf(field) : '';
    return { field, text: label ? `${label}:` : '', detail: v.description };
  }));
}

function showReceipt(answer) {
  received = true;
  sessionStorage.removeItem(DRAFT);
  document.getElementById('report-form-section').hidden = true;
  document.getElementById('receipt-report-id').textContent = answer.reportId;
  document.getElementById('receipt-case-id').textContent = answer.caseId;
  document.getElementById('receipt-outcome').textContent = t(`outcome_${answer.collation}`);
  document.getElementById('receipt-text').textContent = answer.receipt;
  document.getElementById('receipt-section').hidden = false;
  document.title = `${t('receipt_title')} – ${t('service_name')}`;
  document.getElementById('receipt-title').focus();
}

let sending = false;
async function send(event) {
  event.preventDefault();
  // A double click sends once; a retry reuses the draft's request_id.
  if (sending || received) return;
  saveDraft();
  const { report, notDates } = reportOf();
  if (notDates.length > 0) {
    showErrors(notDates.map((field) => ({ field, text: `${labelOf(field)}: ${t('error_not_a_date')}` })));
    return;
  }
  sending = true;
  button.disabled = true;
  button.textContent = t('report_sending');
  clearErrors();
  const result = await call('POST', '/v1/reports', { requestId: loadDraft().requestId, report });
  sending = false;
  button.disabled = false;
  button.textContent = t('report_submit');
  if (result.ok) {
    showReceipt(result.body);
    return;
  }
  const violations = fieldViolations(result.error);
  if (violations.length > 0) {
    showViolations(violations);
  } else {
    showErrors([{ field: '', text: result.error?.message || t('error_unknown') }]);
  }
}

// Listening before anything is awaited: a form sent before then would
// leave the page.
form.addEventListener('submit', send);
form.addEventListener('input', () => { saveDraft(); showWhatApplies(); });
form.addEventListener('change', () => { saveDraft(); showWhatApplies(); });
document.getElementById('receipt-print').addEventListener('click', () => window.print());
restoreDraft();
showWhatApplies();
await signedIn();
