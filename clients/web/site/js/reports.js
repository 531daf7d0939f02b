// A centre's own reports, newest first (ListReports): each with what the
// police recorded on its case, filtered by status, motivation and the day
// received, a page at a time; each opens the report as received. The rows
// shown stay current: a change to one of them (WatchReports, followed
// from when the page opened) replaces its row and is announced.
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

function statusOf(report) {
  const status = (report.progress || {}).caseStatus;
  return status ? t(`desk_status_${status}`) : '';
}

function row(report) {
  const tr = tableRow(
    cell(localTime(report.receivedAt)),
    cell(link(`/my-report?id=${encodeURIComponent(report.reportId)}`, report.reportId)),
    cell(report.sourceReference), cell(statusOf(report)),
    cell((report.progress || {}).crimeReference));
  tr.dataset.reportId = report.reportId;
  return tr;
}

// Replaces the row of each report a change touched, if it is shown.
// Resolves once the watch is open (or has failed): a list read after that
// misses no change.
function follow() {
  const feed = new EventSource('/v1/reports:watch?start_at_end=true');
  const opened = new Promise((resolve) => {
    feed.addEventListener('open', resolve, { once: true });
    feed.addEventListener('error', resolve, { once: true });
  });
  feed.addEventListener('message', (message) => {
    const change = JSON.parse(message.data);
    for (const report of change.reports || []) {
      const shown = document.querySelector(`#reports-rows tr[data-report-id="${CSS.escape(report.reportId)}"]`);
      if (!shown) continue;
      shown.replaceWith(row(report));
      document.getElementById('reports-live').textContent =
        t('desk_mine_changed', { id: report.reportId, status: statusOf(report) });
    }
  });
  return opened;
}

const show = pagedList({
  path: '/v1/reports',
  items: 'reports',
  list: document.getElementById('reports-rows'),
  more: document.getElementById('reports-more'),
  clear: true,
  render: row,
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
await follow();
await show(true);
