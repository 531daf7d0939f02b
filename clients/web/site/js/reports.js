// A centre's own reports, newest first (ListReports): each with what the
// police recorded on its case, filtered by status, motivation and the day
// received, a page at a time; each opens the report as received.
import {
  call, clearErrors, localTime, showCallErrors, showErrors, signedIn, t, tableCell as cell,
} from '/static/js/page.js';

const form = document.getElementById('reports-form');
let filter = '';
let nextPage = '';

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

async function page(first) {
  clearErrors();
  const query = new URLSearchParams({ page_size: '50' });
  if (filter) query.set('filter', filter);
  if (!first && nextPage) query.set('page_token', nextPage);
  const result = await call('GET', `/v1/reports?${query}`);
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  const rows = document.getElementById('reports-rows');
  if (first) rows.replaceChildren();
  for (const report of result.body.reports || []) {
    const progress = report.progress || {};
    const tr = document.createElement('tr');
    tr.className = 'govuk-table__row';
    const link = document.createElement('a');
    link.className = 'govuk-link';
    link.href = `/my-report?id=${encodeURIComponent(report.reportId)}`;
    link.textContent = report.reportId;
    tr.append(cell(localTime(report.receivedAt)), cell(link), cell(report.sourceReference),
      cell(progress.caseStatus ? t(`desk_status_${progress.caseStatus}`) : ''), cell(progress.crimeReference));
    rows.append(tr);
  }
  nextPage = result.body.nextPageToken || '';
  document.getElementById('reports-table').hidden = rows.children.length === 0;
  document.getElementById('reports-more').hidden = !nextPage;
  document.getElementById('reports-count').textContent =
    rows.children.length === 0 && !nextPage ? t('desk_mine_none') : t('desk_mine_shown', { n: rows.children.length });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const made = filterOf();
  if (made === null) return;
  filter = made;
  page(true);
});
document.getElementById('reports-more').addEventListener('click', () => page(false));
await signedIn();
await page(true);
