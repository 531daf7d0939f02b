// The police review desk: open review items oldest first, one at a time;
// the new report and each candidate case side by side, redacted exactly as
// the API redacts them; the field-by-field explanation; merge into a
// chosen case or keep separate, with a reason. Keys: 1-9 choose a case,
// K keeps separate, Ctrl+Enter sends, N goes to the next item.
import {
  call, clearErrors, enumLabels, label, localTime, showCallErrors, showErrors, signedIn, summaryRow, t, tableCell,
  tableRow,
} from '/static/js/page.js';

const form = document.getElementById('review-form');
const status = document.getElementById('review-status');
let items = [];
let index = 0;

function text(tag, content, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = content;
  return element;
}

// One case as a column: its first report's facts, as the API gave them.
function caseColumn(heading, kase) {
  const column = document.createElement('div');
  column.className = 'hirs-compare__column';
  column.append(text('h3', heading, 'govuk-heading-s'));
  const report = (kase.reports || [])[0] || {};
  const rows = [
    ['desk_case', kase.caseId],
    ['desk_reports', String(kase.reportCount ?? (kase.reports || []).length)],
    ['q_occurred_start', localTime(report.occurredStart)],
    ['q_location_place_type', report.location?.placeType ? t(`enum_${report.location.placeType}`) : ''],
    ['q_location_postcode', report.location?.postcode || ''],
    ['q_incident_types', enumLabels(report.incidentTypes)],
    ['q_motivations', enumLabels(report.motivations)],
    ['q_victim_full_name', report.victim?.fullName || t('desk_not_shown')],
    ['q_description', report.description || t('desk_not_shown')],
  ];
  const list = document.createElement('dl');
  list.className = 'govuk-summary-list govuk-summary-list--no-border';
  list.append(...rows.map(([key, value]) => summaryRow(label(key), value)));
  column.append(list);
  return column;
}

function radio(id, value, caption) {
  const item = document.createElement('div');
  item.className = 'govuk-radios__item';
  const input = document.createElement('input');
  Object.assign(input, { className: 'govuk-radios__input', id, name: 'decision', type: 'radio', value });
  const labelElement = text('label', caption, 'govuk-label govuk-radios__label');
  labelElement.htmlFor = id;
  item.append(input, labelElement);
  return item;
}

async function show() {
  clearErrors();
  form.reset();
  const section = document.getElementById('review-item');
  if (index >= items.length) {
    section.hidden = true;
    status.textContent = t('desk_review_none');
    return;
  }
  const item = items[index];
  const [own, ...candidates] = await Promise.all(
    [item.caseId, ...(item.candidateCaseIds || [])].map((id) => call('GET', `/v1/cases/${encodeURIComponent(id)}`)));
  document.getElementById('review-item-heading').textContent =
    t('desk_review_item', { n: index + 1, total: items.length });
  document.getElementById('review-score').textContent =
    t('desk_review_score', {
      score: (item.explanation?.score ?? 0).toFixed(1),
      attach: (item.explanation?.attachThreshold ?? 0).toFixed(1),
      review: (item.explanation?.reviewThreshold ?? 0).toFixed(1),
    });
  const compare = document.getElementById('review-compare');
  compare.replaceChildren(caseColumn(t('desk_review_new'), own.ok ? own.body : { caseId: item.caseId }));
  const decision = document.getElementById('decision');
  decision.replaceChildren();
  (item.candidateCaseIds || []).forEach((id, i) => {
    compare.append(caseColumn(t('desk_review_candidate', { n: i + 1 }), candidates[i].ok ? candidates[i].body : { caseId: id }));
    decision.append(radio(`decision-${i + 1}`, id, t('desk_review_merge_into', { n: i + 1, id })));
  });
  decision.append(radio('decision-keep', 'KEEP_SEPARATE', t('desk_review_keep')));
  const rows = (item.explanation?.comparisons || []).map(
    (c) => tableRow(tableCell(c.field), tableCell(c.level), tableCell((c.weight ?? 0).toFixed(2), true)));
  document.getElementById('review-comparisons').replaceChildren(...rows);
  section.hidden = false;
  status.textContent = '';
}

async function load() {
  const result = await call('GET', '/v1/reviewItems?page_size=100');
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  items = result.body.items || [];
  index = 0;
  await show();
}

async function resolve(event) {
  event.preventDefault();
  const choice = form.querySelector('input[name=decision]:checked')?.value;
  if (!choice) {
    showErrors([{ field: 'decision', text: t('desk_review_choose') }]);
    return;
  }
  const item = items[index];
  const body = choice === 'KEEP_SEPARATE' ? { decision: 'KEEP_SEPARATE' } : { decision: 'MERGE', targetCaseId: choice };
  body.reason = form.reason.value.trim();
  const result = await call('POST', `/v1/reviewItems/${encodeURIComponent(item.reviewId)}:resolve`, body);
  let said;
  if (result.ok) {
    said = t('desk_review_done', { n: index + 1 });
  } else if (result.error?.status === 'FAILED_PRECONDITION') {
    said = t('desk_review_taken', { n: index + 1 });
  } else {
    showCallErrors(result);
    return;
  }
  index += 1;
  await show();
  status.textContent = index < items.length ? `${said} ${status.textContent}` : `${said} ${t('desk_review_none')}`;
  const heading = document.getElementById('review-item-heading');
  if (index < items.length) heading.focus();
}

form.addEventListener('submit', resolve);
document.getElementById('review-next').addEventListener('click', async () => { index += 1; await show(); });
document.addEventListener('keydown', (event) => {
  if (document.getElementById('review-item').hidden) return;
  if (event.key === 'Enter' && event.ctrlKey) {
    form.requestSubmit();
    event.preventDefault();
    return;
  }
  if (event.target.closest('textarea, input[type=text]') || event.ctrlKey || event.altKey || event.metaKey) return;
  const key = event.key.toLowerCase();
  const target = /^[1-9]$/.test(key) ? document.getElementById(`decision-${key}`)
    : key === 'k' ? document.getElementById('decision-keep') : null;
  if (target) {
    target.checked = true;
    target.focus();
    event.preventDefault();
  } else if (key === 'n') {
    document.getElementById('review-next').click();
  }
});

await signedIn();
await load();
