// One of the centre's reports (GetReport), every field of its current
// version, with what became of it: its case, the case's police status and
// crime reference (or its withdrawal), and its versions when it was
// corrected. Printable. The centre changes the victim's consent
// (UpdateConsent) or withdraws the report (WithdrawReport) here, with a
// reason, and goes on to correct it (amend-report.js).
import {
  call, clearErrors, enumLabels, label, localTime, showCallErrors, showWhenRead, summaryRow as row, t, tableCell,
} from '/static/js/page.js';

const id = new URLSearchParams(location.search).get('id') || '';

function yesNo(value) { return t(value ? 'answer_yes' : 'answer_no'); }

// The report's fields in the order the form asks them.
function fieldRows(r) {
  const where = r.location || {};
  const victim = r.victim || {};
  const consent = r.consent || {};
  const rows = [
    row(t('desk_received'), `${localTime(r.receivedAt)} · ${r.submittedBy || r.reportingCentre}`),
    row(label('q_source_reference'), r.sourceReference),
    row(label('q_reporter_role'), r.reporterRole ? t(`enum_${r.reporterRole}`) : ''),
    row(label('q_incident_types'), enumLabels(r.incidentTypes)),
    row(label('q_description'), r.description),
    row(label('q_occurred_start'), localTime(r.occurredStart)),
    row(label('q_occurred_end'), localTime(r.occurredEnd)),
    row(label('q_location_place_type'), where.placeType ? t(`enum_${where.placeType}`) : ''),
    row(label('q_location_postcode'), where.postcode),
    row(label('q_location_description'), where.description),
    row(label('q_location_online_platform'), where.onlinePlatform),
    row(label('q_school_related'), yesNo(r.schoolRelated)),
    row(label('q_motivations'), enumLabels(r.motivations)),
    row(label('q_victim_full_name'), victim.fullName),
    row(label('q_victim_date_of_birth'), victim.dateOfBirth),
    row(label('q_victim_age_band'), victim.ageBand ? t(`enum_${victim.ageBand}`) : ''),
    row(label('q_victim_gender'), victim.gender),
    row(label('q_victim_ethnicity'), victim.ethnicity),
    row(label('q_victim_phone'), victim.phone),
    row(label('q_victim_email'), victim.email),
    row(label('q_victim_address'), victim.address),
    row(label('q_victim_postcode'), victim.postcode),
    row(t('desk_report_anonymous'), yesNo(consent.anonymous)),
    row(label('q_consent_share_with_police'), yesNo(consent.shareWithPolice)),
    row(label('q_consent_contact_victim'), yesNo(consent.contactVictim)),
    row(label('q_crime_reference'), r.crimeReference),
  ];
  if (r.personalDataRemovedAt) {
    rows.push(row(t('desk_report_removed'), localTime(r.personalDataRemovedAt)));
  }
  return rows;
}

function progressRows(p, withdrawal) {
  if (withdrawal) {
    return [
      row(t('desk_report_withdrawn'), localTime(withdrawal.withdrawTime)),
      row(t('desk_report_withdrawn_reason'), withdrawal.reason),
      row(t('desk_report_withdrawn_case'), withdrawal.caseId),
    ];
  }
  return [
    row(t('desk_report_case'), p.caseId),
    row(t('desk_mine_status'), p.caseStatus ? t(`desk_status_${p.caseStatus}`) : ''),
    row(t('desk_report_crime_reference'), p.crimeReference || t('desk_report_none_yet')),
    row(t('desk_mine_updated'), localTime(p.updatedAt)),
  ];
}

// The report's versions, oldest first: when, by whom, why, and the names
// of the fields each changed (no values).
function versionRows(versions) {
  return versions.map((v) => {
    const tr = document.createElement('tr');
    tr.className = 'govuk-table__row';
    const first = Number(v.version) === 1;
    tr.append(
      tableCell(String(v.version)),
      tableCell(localTime(v.createTime)),
      tableCell(v.createdBy),
      tableCell(first ? t('desk_version_received') : v.reason),
      tableCell((v.changedFields || []).join(', ')),
    );
    return tr;
  });
}

const form = document.getElementById('change-form');
const confirmBox = document.getElementById('withdraw-confirm');

// Shows `report`: what became of it, its fields, and the change form unless
// it is withdrawn.
function show(report) {
  const heading = document.getElementById('report-heading');
  heading.textContent = t('desk_report_heading', { id: report.reportId });
  document.title = `${heading.textContent} – ${t('service_name')}`;
  document.getElementById('report-progress').replaceChildren(
    ...progressRows(report.progress || {}, report.withdrawal),
  );
  document.getElementById('report-fields').replaceChildren(...fieldRows(report));
  const consent = report.consent || {};
  form.share.checked = Boolean(consent.shareWithPolice);
  form.contact.checked = Boolean(consent.contactVictim);
  form.anonymous.checked = Boolean(consent.anonymous);
  document.getElementById('change').hidden = Boolean(report.withdrawal);
  document.getElementById('amend').hidden = Boolean(report.withdrawal);
  document.getElementById('amend-link').href = `/amend-report?id=${encodeURIComponent(report.reportId)}`;
  const versions = report.versions || [];
  document.getElementById('versions-rows').replaceChildren(...versionRows(versions));
  document.getElementById('versions').hidden = versions.length < 2;
  document.getElementById('fields-heading').textContent =
    versions.length < 2 ? t('desk_report_as_received') : t('desk_report_current', { n: versions.length });
}

// Says `message` in the banner above the report.
function announce(message) {
  const banner = document.getElementById('change-done');
  document.getElementById('change-done-text').textContent = t(message);
  banner.hidden = false;
  banner.focus();
}

// Sends a change; on success shows the report as it now stands and says so.
async function change(action, body, done) {
  clearErrors();
  const result = await call('POST', `/v1/reports/${encodeURIComponent(id)}:${action}`, body);
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  show(result.body);
  form.reason.value = '';
  announce(done);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  change('updateConsent', {
    consent: {
      shareWithPolice: form.share.checked,
      contactVictim: form.contact.checked,
      anonymous: form.anonymous.checked,
    },
    reason: form.reason.value.trim(),
  }, 'desk_consent_saved');
});
document.getElementById('withdraw-ask').addEventListener('click', () => {
  confirmBox.hidden = false;
  document.getElementById('withdraw-yes').focus();
});
document.getElementById('withdraw-no').addEventListener('click', () => {
  confirmBox.hidden = true;
  document.getElementById('withdraw-ask').focus();
});
document.getElementById('withdraw-yes').addEventListener('click', () => {
  confirmBox.hidden = true;
  change('withdraw', { reason: form.reason.value.trim() }, 'desk_withdrawn_done');
});
document.getElementById('report-print').addEventListener('click', () => window.print());
if (await showWhenRead(`/v1/reports/${encodeURIComponent(id)}`, show)
    && new URLSearchParams(location.search).get('amended')) {
  announce('desk_amended_done');
}
