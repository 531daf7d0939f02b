// A centre's own reports, newest first (ListReports): each with what the
// police recorded on its case, filtered by status, motivation and the day
// received, a page at a time; each opens the report as received.
import {
  link, localTime, pagedList, showErrors, signedIn, t, tableCell as cell, tableRow,
} from '/static/js/page.js';

const form = document.getElementById('reports-form');

// The AIP-160 filter the form makes, or null (after showing why) when the
// day is not a date.
function filterOf() {
  const terms = [];
  if (form.status.value) terms.push(`status = ${form.status.value}`);
  if (form.motivation.value) terms.push(`motivation = ${form.motivation.value}`);
  const from = form.received_from.value.trim();
  if (from && !/^\d{4}-\d{2}-\d{2}$/.test(from)) {
    showErrors([{ field: 'received_from', text: `${t('desk_mine_from')}: ${t('desk_cases_date_hint')}` }]);
    return null;
  }
  if (from) terms.push(`received_at >= "${from}T00:00:00Z"`);
  return terms.join(' AND ');
}

const show = pagedList({
  path: '/v1/reports',
  items: 'reports',
  list: document.getElementById('reports-rows'),
  more: document.getElementById('reports-more'),
  clear: true,
  render: (report) => {
    const progress = report.progress || {};
    return tableRow(
      cell(localTime(report.receivedAt)),
      cell(link(`/my-report?id=${encodeURIComponent(report.reportId)}`, report.reportId)),
      cell(report.sourceReference), cell(progress.caseStatus ? t(`desk_status_${progress.caseStatus}`) : ''),
      cell(progress.crimeReference));
  },
  shown: (count, more) => {
    document.getElementById('reports-table').hidden = count === 0;
    document.getElementById('reports-count').textContent =
      count === 0 && !more ? t('desk_mine_none') : t('desk_mine_shown', { n: count });
  },
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const filter = filterOf();
  if (filter === null) return;
  show(true, { filter });
});
await signedIn();
await show(true);
