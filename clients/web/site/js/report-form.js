// The report questions (parts/report-questions.html) shared by the report
// form (report.js) and the correction of a report (amend-report.js): the
// Report the answers describe, answers filled from a Report, which
// questions apply, and the server's field violations beside their
// questions.
import { fieldViolations, showErrors, t, withoutNote } from '/static/js/page.js';

const form = document.getElementById('report-form');

// Shows only the questions that apply: identity when not anonymous, the
// platform for online incidents.
export function showWhatApplies() {
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
export function reportOf() {
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

// A refused report: its field violations beside their questions, or the
// server's message.
export function showSendError(error) {
  const violations = fieldViolations(error);
  if (violations.length > 0) {
    showViolations(violations);
  } else {
    showErrors([{ field: '', text: error?.message || t('error_unknown') }]);
  }
}

// The errors of answers that are not dates, beside their questions.
export function showNotDates(notDates) {
  showErrors(notDates.map((field) => ({ field, text: `${labelOf(field)}: ${t('error_not_a_date')}` })));
}

function setChecked(name, values) {
  for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = values.includes(input.value);
}

function setValue(name, text) {
  form[name].value = text || '';
}

// A day/month/year (and HH:MM) group set to `iso` in the browser's time zone.
function setInstant(prefix, iso, withTime) {
  const at = iso ? new Date(iso) : null;
  setValue(`${prefix}_day`, at ? String(at.getDate()) : '');
  setValue(`${prefix}_month`, at ? String(at.getMonth() + 1) : '');
  setValue(`${prefix}_year`, at ? String(at.getFullYear()) : '');
  if (withTime) {
    const hm = at ? `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}` : '';
    setValue(`${prefix}_time`, hm);
  }
}

// The answers set to what `report` (as the API gives it) says.
export function fill(report) {
  const where = report.location || {};
  const victim = report.victim || {};
  const consent = report.consent || {};
  const answer = (flag) => [flag ? 'yes' : 'no'];
  setChecked('incident_types', report.incidentTypes || []);
  setValue('description', report.description);
  setChecked('motivations', report.motivations || []);
  setInstant('occurred_start', report.occurredStart, true);
  setInstant('occurred_end', report.occurredEnd, true);
  setValue('location.place_type', where.placeType);
  setValue('location.postcode', where.postcode);
  setValue('location.description', where.description);
  setValue('location.online_platform', where.onlinePlatform);
  form.school_related.checked = Boolean(report.schoolRelated);
  setChecked('reporter_role', report.reporterRole ? [report.reporterRole] : []);
  setChecked('anonymous', answer(consent.anonymous));
  setValue('victim.full_name', victim.fullName);
  const [y, m, d] = (victim.dateOfBirth || '--').split('-');
  setValue('victim_date_of_birth_day', d ? String(Number(d)) : '');
  setValue('victim_date_of_birth_month', m ? String(Number(m)) : '');
  setValue('victim_date_of_birth_year', y);
  for (const key of ['phone', 'email', 'address', 'postcode', 'gender', 'ethnicity']) {
    setValue(`victim.${key}`, victim[key]);
  }
  setValue('victim.age_band', victim.ageBand);
  setChecked('share_with_police', answer(consent.shareWithPolice));
  setChecked('contact_victim', answer(consent.contactVictim));
  setValue('crime_reference', report.crimeReference);
  setValue('source_reference', report.sourceReference);
  showWhatApplies();
}
