// The report form: a centre's member of staff takes a report with the
// person in front of them. The draft is kept in this tab's session storage
// (never sent anywhere until "Send"), with one request_id per draft so that
// a double click or a retry after a timeout stores one report. Field errors
// come from the API's BadRequest and appear beside their fields.
import { call, clearErrors, signedIn, t } from '/static/js/page.js';
import { reportOf, showNotDates, showSendError, showWhatApplies } from '/static/js/report-form.js';

const DRAFT = 'hirs-report-draft';
const form = document.getElementById('report-form');
const button = document.getElementById('report-submit');
let received = false;

function newRequestId() {
  return `web-${crypto.randomUUID()}`;
}

function loadDraft() {
  try { return JSON.parse(sessionStorage.getItem(DRAFT)) || {}; } catch (e) { return {}; }
}

function saveDraft() {
  if (received) return;  // the report is sent: nothing to keep
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === 'checkbox' || element.type === 'radio') {
      if (element.checked) (values[element.name] ||= []).push(element.value);
    } else {
      values[element.name] = element.value;
    }
  }
  const draft = loadDraft();
  sessionStorage.setItem(DRAFT, JSON.stringify({ requestId: draft.requestId || newRequestId(), values }));
}

function restoreDraft() {
  const { values } = loadDraft();
  if (!values) return;
  for (const element of form.elements) {
    if (!element.name || !(element.name in values)) continue;
    const value = values[element.name];
    if (element.type === 'checkbox' || element.type === 'radio') {
      element.checked = Array.isArray(value) && value.includes(element.value);
    } else {
      element.value = value;
    }
  }
}

function showReceipt(answer) {
  received = true;
  sessionStorage.removeItem(DRAFT);
  document.getElementById('report-form-section').hidden = true;
  document.getElementById('receipt-report-id').textContent = answer.reportId;
  document.getElementById('receipt-case-id').textContent = answer.caseId;
  document.getElementById('receipt-outcome').textContent = t(`outcome_${answer.collation}`);
  document.getElementById('receipt-text').textContent = answer.receipt;
  document.getElementById('receipt-section').hidden = false;
  document.title = `${t('receipt_title')} – ${t('service_name')}`;
  document.getElementById('receipt-title').focus();
}

let sending = false;
async function send(event) {
  event.preventDefault();
  // A double click sends once; a retry reuses the draft's request_id.
  if (sending || received) return;
  saveDraft();
  const { report, notDates } = reportOf();
  if (notDates.length > 0) {
    showNotDates(notDates);
    return;
  }
  sending = true;
  button.disabled = true;
  button.textContent = t('report_sending');
  clearErrors();
  const result = await call('POST', '/v1/reports', { requestId: loadDraft().requestId, report });
  sending = false;
  button.disabled = false;
  button.textContent = t('report_submit');
  if (result.ok) {
    showReceipt(result.body);
    return;
  }
  showSendError(result.error);
}

// Listening before anything is awaited: a form sent before then would
// leave the page.
form.addEventListener('submit', send);
form.addEventListener('input', () => { saveDraft(); showWhatApplies(); });
form.addEventListener('change', () => { saveDraft(); showWhatApplies(); });
document.getElementById('receipt-print').addEventListener('click', () => window.print());
restoreDraft();
showWhatApplies();
await signedIn();
