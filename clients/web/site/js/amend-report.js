// Correcting one of the centre's reports (AmendReport): the report
// questions filled with its current version, changed, and saved with a
// reason as its next version. The consent questions are shown but not
// changed here (UpdateConsent, on the report's page, changes them). The
// report's etag guards against a change made meanwhile, and one
// request_id per page makes a double click or a retry save one version.
import { call, clearErrors, showErrors, showWhenRead, t } from '/static/js/page.js';
import { fill, reportOf, showNotDates, showSendError, showWhatApplies } from '/static/js/report-form.js';

const id = new URLSearchParams(location.search).get('id') || '';
const form = document.getElementById('report-form');
const button = document.getElementById('amend-submit');
const requestId = `web-amend-${crypto.randomUUID()}`;
let current = null;  // the report as read, with its etag

function lockConsent() {
  for (const name of ['anonymous', 'share_with_police', 'contact_victim']) {
    for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.disabled = true;
  }
}

function show(report) {
  if (report.withdrawal) {
    showErrors([{ field: '', text: t('desk_amend_withdrawn') }]);
    return;
  }
  current = report;
  const heading = document.getElementById('amend-heading');
  heading.textContent = t('desk_amend_heading', { id: report.reportId });
  document.title = `${heading.textContent} – ${t('service_name')}`;
  document.getElementById('amend-cancel').href = `/my-report?id=${encodeURIComponent(report.reportId)}`;
  fill(report);
  lockConsent();
  form.hidden = false;
}

let sending = false;
async function send(event) {
  event.preventDefault();
  if (sending || !current) return;
  const { report, notDates } = reportOf();
  if (notDates.length > 0) {
    showNotDates(notDates);
    return;
  }
  // The whole report as it should now read: the answers over what the
  // questions do not ask, with the consent as it is.
  const amended = { ...current, ...report, consent: current.consent };
  if (!current.victim && Object.values(report.victim).every((v) => !v)) delete amended.victim;
  sending = true;
  button.disabled = true;
  clearErrors();
  const result = await call('POST', `/v1/reports/${encodeURIComponent(id)}:amend`, {
    report: amended, reason: form.reason.value.trim(), etag: current.etag, requestId,
  });
  sending = false;
  button.disabled = false;
  if (result.ok) {
    location.assign(`/my-report?id=${encodeURIComponent(id)}&amended=1`);
  } else if (result.error?.status === 'ABORTED') {
    showErrors([{ field: '', text: t('desk_amend_conflict') }]);
  } else {
    showSendError(result.error);
  }
}

form.addEventListener('submit', send);
form.addEventListener('change', showWhatApplies);
await showWhenRead(`/v1/reports/${encodeURIComponent(id)}`, show);
