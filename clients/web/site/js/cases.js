// Finding cases: a form that builds the AIP-160 filter ListCases takes
// (or the filter written by hand), pages of results newest first.
import {
  call, clearErrors, localTime, showCallErrors, signedIn, t, tableCell as cell,
} from '/static/js/page.js';

const form = document.getElementById('cases-form');
let filter = '';
let nextPage = '';

function quoted(value) { return `"${value.replace(/["\\]/g, '')}"`; }

// The filter the form's fields make; the hand-written one when given.
function filterOf() {
  if (form.filter.value.trim()) return form.filter.value.trim();
  const terms = [];
  if (form.status.value) terms.push(`status = ${form.status.value}`);
  if (form.district.value.trim()) terms.push(`district_code = ${quoted(form.district.value.trim())}`);
  if (form.motivation.value) terms.push(`motivation = ${form.motivation.value}`);
  if (form.crime.value.trim()) terms.push(`crime_reference = ${quoted(form.crime.value.trim())}`);
  const from = form.from.value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(from)) terms.push(`occurred_start >= "${from}T00:00:00Z"`);
  return terms.join(' AND ');
}

async function page(first) {
  clearErrors();
  const query = new URLSearchParams({ page_size: '50' });
  if (filter) query.set('filter', filter);
  if (!first && nextPage) query.set('page_token', nextPage);
  const result = await call('GET', `/v1/cases?${query}`);
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  const rows = document.getElementById('cases-rows');
  if (first) rows.replaceChildren();
  for (const kase of result.body.cases || []) {
    const tr = document.createElement('tr');
    tr.className = 'govuk-table__row';
    const link = document.createElement('a');
    link.className = 'govuk-link';
    link.href = `/case?id=${encodeURIComponent(kase.caseId)}`;
    link.textContent = kase.caseId;
    tr.append(cell(link), cell(localTime(kase.occurredStart)), cell(kase.districtCode), cell(kase.status),
      cell(String(kase.reportCount ?? 0), true));
    rows.append(tr);
  }
  nextPage = result.body.nextPageToken || '';
  document.getElementById('cases-table').hidden = rows.children.length === 0;
  document.getElementById('cases-more').hidden = !nextPage;
  document.getElementById('cases-count').textContent = t('desk_cases_shown', { n: rows.children.length });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  filter = filterOf();
  page(true);
});
document.getElementById('cases-more').addEventListener('click', () => page(false));
await signedIn();
filter = '';
await page(true);
