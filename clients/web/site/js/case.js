// A case for police: its facts, its reports with provenance and how each
// came to be in the case (redacted as the API redacts), status, crime
// reference and note updated with the case's etag (a conflict is
// explained: what someone else changed), merge and split. The change feed
// keeps the page current.
import {
  call, clearErrors, enumLabels as enums, label, link, localTime, showCallErrors, signedIn, summaryRow as row, t,
} from '/static/js/page.js';
import { caseHistory } from '/static/js/case-history.js';

const id = new URLSearchParams(location.search).get('id') || '';
const showHistory = caseHistory(id);
const form = document.getElementById('case-form');
// The version of the case the form was filled from: its etag goes with a
// save, and a conflict is explained against it. A live change refreshes
// the form too unless the user has begun to edit it.
let base = null;
let editing = false;

function caseLinks(ids) {
  const span = document.createElement('span');
  (ids || []).forEach((other, i) => {
    if (i > 0) span.append(', ');
    span.append(link(`/case?id=${encodeURIComponent(other)}`, other));
  });
  return span;
}

function reportCard(report, explanation) {
  const card = document.createElement('section');
  card.className = 'hirs-report-card';
  const h = document.createElement('h3');
  h.className = 'govuk-heading-s';
  h.textContent = report.reportId;
  const list = document.createElement('dl');
  list.className = 'govuk-summary-list govuk-summary-list--no-border';
  list.append(
    row(t('desk_received'), `${localTime(report.receivedAt)} · ${report.reportingCentre} · ${report.submittedBy || ''}`),
    row(label('q_reporter_role'), report.reporterRole ? t(`enum_${report.reporterRole}`) : ''),
    row(label('q_occurred_start'), localTime(report.occurredStart)),
    row(label('q_incident_types'), enums(report.incidentTypes)),
    row(label('q_motivations'), enums(report.motivations)),
    row(t('q_victim_full_name'), report.victim?.fullName || t('desk_not_shown')),
    row(t('q_description'), report.description || t('desk_not_shown')),
    row(t('desk_case_how'), explanation ? `${explanation.outcome} (${(explanation.score ?? 0).toFixed(1)})` : ''));
  const split = document.createElement('button');
  split.type = 'button';
  split.className = 'govuk-button govuk-button--warning';
  split.textContent = t('desk_case_split');
  split.addEventListener('click', async () => {
    const result = await call('POST', `/v1/reports/${encodeURIComponent(report.reportId)}:split`, {});
    if (!result.ok) { showCallErrors(result); return; }
    location.assign(`/case?id=${encodeURIComponent(result.body.newCase.caseId)}`);
  });
  card.append(h, list, split);
  return card;
}

let shownEtag = '';  // the version on the page

function render(kase) {
  shownEtag = kase.etag;
  document.getElementById('case-heading').textContent = t('desk_case_heading', { id: kase.caseId });
  document.getElementById('case-facts').replaceChildren(
    row(t('desk_case_status'), kase.status),
    row(t('q_crime_reference'), kase.crimeReference || ''),
    row(t('desk_case_district'), kase.districtCode || ''),
    row(label('q_occurred_start'), localTime(kase.occurredStart)),
    row(t('desk_reports'), `${kase.reportCount ?? 0} (${t('desk_case_sources', { n: kase.sourceCount ?? 0 })})`),
    row(t('desk_case_linked'), caseLinks(kase.linkedCaseIds)),
    row(t('desk_case_note'), kase.outcomeNote || ''));
  const explanations = kase.explanations || [];
  document.getElementById('case-reports').replaceChildren(
    ...(kase.reports || []).map((r, i) => reportCard(r, explanations[i])));
  showHistory(true);
}

function formFields() {
  return { status: form.status, crimeReference: form.crime_reference, outcomeNote: form.outcome_note };
}

function formValues() {
  return Object.fromEntries(Object.entries(formFields()).map(([f, element]) => [f, element.value.trim()]));
}

function fillForm(kase) {
  base = kase;
  editing = false;
  form.status.value = kase.status;
  form.crime_reference.value = kase.crimeReference || '';
  form.outcome_note.value = kase.outcomeNote || '';
}

async function fetchCase() {
  const result = await call('GET', `/v1/cases/${encodeURIComponent(id)}`);
  if (!result.ok) { showCallErrors(result); return null; }
  return result.body;
}

function show(kase) {
  render(kase);
  if (!editing) fillForm(kase);
  return kase;
}

async function load() {
  const kase = await fetchCase();
  return kase ? show(kase) : null;
}

// What differs between two versions of a case, as "field: before → after".
function changes(before, after) {
  const fields = [['status', 'desk_case_status'], ['crimeReference', 'q_crime_reference'],
    ['outcomeNote', 'desk_case_note'], ['reportCount', 'desk_reports']];
  return fields.filter(([f]) => String(before[f] ?? '') !== String(after[f] ?? ''))
    .map(([f, key]) => `${label(key)}: ${before[f] ?? ''} → ${after[f] ?? ''}`);
}

form.addEventListener('input', () => { editing = true; });
form.addEventListener('change', () => { editing = true; });
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  document.getElementById('case-conflict').hidden = true;
  const before = base;
  const body = formValues();
  // Only what was changed: a colleague's change to another field stays.
  const mask = Object.keys(body).filter((f) => body[f] !== String(before[f] ?? ''));
  if (mask.length === 0) {
    document.getElementById('case-live').textContent = t('desk_case_nothing');
    return;
  }
  const query = `update_mask=${mask.join(',')}&etag=${encodeURIComponent(before.etag)}`;
  const result = await call('PATCH', `/v1/cases/${encodeURIComponent(id)}?${query}`, body);
  if (result.ok) {
    render(result.body);
    fillForm(result.body);
    document.getElementById('case-live').textContent = t('desk_case_saved');
    return;
  }
  if (result.error?.status === 'ABORTED') {
    editing = true;  // the form keeps what was typed
    const now = await load();
    if (now) {
      // Saving again applies to the case as it is now: what the user left
      // alone takes the new value, what they changed stays theirs.
      for (const [f, element] of Object.entries(formFields())) {
        if (body[f] === String(before[f] ?? '')) element.value = now[f] ?? element.value;
      }
      base = now;
    }
    const conflict = document.getElementById('case-conflict');
    conflict.replaceChildren(t('desk_case_conflict'));
    const list = document.createElement('ul');
    list.className = 'govuk-list govuk-list--bullet';
    for (const line of changes(before, now || before)) {
      const li = document.createElement('li');
      li.textContent = line;
      list.append(li);
    }
    conflict.append(list);
    conflict.hidden = false;
    conflict.focus();
    return;
  }
  showCallErrors(result);
});

document.getElementById('merge-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const sources = event.target.source_case_ids.value.split(/[\s,]+/).filter(Boolean);
  const result = await call('POST', `/v1/cases/${encodeURIComponent(id)}:merge`, { sourceCaseIds: sources });
  if (!result.ok) { showCallErrors(result); return; }
  event.target.reset();
  await load();
});

// The feed from its end, then the case read: nothing missed in between.
function follow() {
  const feed = new EventSource('/v1/cases:watch?start_at_end=true');
  feed.addEventListener('open', () => load());
  feed.addEventListener('message', async (message) => {
    const change = JSON.parse(message.data);
    if (change.caseId !== id && !(change.relatedCaseIds || []).includes(id)) return;
    const fresh = await fetchCase();
    // Compared when it arrives: our own save may have been shown meanwhile.
    if (!fresh || fresh.etag === shownEtag) return;
    show(fresh);
    document.getElementById('case-live').textContent = t('desk_case_changed', { kind: change.kind });
  });
}

await signedIn();
await load();
follow();
