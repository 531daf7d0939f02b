// A district's month: choose a month, see its report (the service's own
// renderer: summary tables with the month before beside them, the charts,
// small numbers suppressed), download the extract as CSV, print the report.
import { call, showCallErrors, showErrors, signedIn, t } from '/static/js/page.js';

const form = document.getElementById('month-form');
const select = document.getElementById('month');
const frame = document.getElementById('month-report');
let district = '';

// "YYYY-MM" of the UK month `back` months before this one.
function monthBefore(back) {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function base(month) {
  return `/v1/districts/${encodeURIComponent(district)}/months/${encodeURIComponent(month)}`;
}

async function show(event) {
  event?.preventDefault();
  const month = select.value;
  // The summary first: a refusal (another district, a month not yet over)
  // is said on this page, not inside the frame.
  const summary = await call('GET', `${base(month)}/summary`);
  if (!summary.ok) {
    frame.hidden = true;
    showCallErrors(summary);
    return;
  }
  document.getElementById('error-summary').hidden = true;
  frame.src = `${base(month)}/report`;
  frame.hidden = false;
  document.getElementById('month-print').href = `${base(month)}/report`;
  document.getElementById('month-status').textContent = t('desk_month_shown', { month });
}

async function downloadCsv() {
  const response = await fetch(`${base(select.value)}/extract`, { headers: { Accept: 'text/csv' } });
  if (!response.ok) {
    showErrors([{ field: '', text: t('desk_month_csv_failed') }]);
    return;
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = `extract-${district}-${select.value}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  document.getElementById('month-status').textContent = t('desk_month_downloaded', { file: link.download });
}

form.addEventListener('submit', show);
document.getElementById('month-csv').addEventListener('click', downloadCsv);
for (let back = 1; back <= 24; back += 1) {
  const option = document.createElement('option');
  option.value = monthBefore(back);
  option.textContent = option.value;
  select.append(option);
}
const caller = await signedIn();
if (caller) {
  // A district's own; police may look at any district of the force (?district=).
  district = new URLSearchParams(location.search).get('district') || caller.scope;
  document.getElementById('month-district').textContent = t('desk_month_district', { district });
  const asked = new URLSearchParams(location.search).get('month');
  if (asked) select.value = asked;
  await show();
}
