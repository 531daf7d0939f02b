// Finding cases: a form that builds the AIP-160 filter ListCases takes
// (or the filter written by hand), pages of results newest first.
import {
  link, localTime, pagedList, signedIn, t, tableCell as cell, tableRow,
} from '/static/js/page.js';

const form = document.getElementById('cases-form');

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

const show = pagedList({
  path: '/v1/cases',
  items: 'cases',
  list: document.getElementById('cases-rows'),
  more: document.getElementById('cases-more'),
  clear: true,
  render: (kase) => tableRow(
    cell(link(`/case?id=${encodeURIComponent(kase.caseId)}`, kase.caseId)), cell(localTime(kase.occurredStart)),
    cell(kase.districtCode), cell(kase.status), cell(String(kase.reportCount ?? 0), true)),
  shown: (count) => {
    document.getElementById('cases-table').hidden = count === 0;
    document.getElementById('cases-count').textContent = t('desk_cases_shown', { n: count });
  },
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  show(true, { filter: filterOf() });
});
await signedIn();
await show(true);
