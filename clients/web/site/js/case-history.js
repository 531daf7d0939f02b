// A case's history on its page (ListCaseEvents): its changes newest first,
// each with when, what and how the case stood after it, a page at a time.
import { localTime, pagedList, t } from '/static/js/page.js';

function item(event) {
  const li = document.createElement('li');
  li.className = 'hirs-history__item';
  const what = document.createElement('h3');
  what.className = 'govuk-heading-s hirs-history__what';
  what.textContent = t(`desk_event_${event.kind}`);
  const when = document.createElement('p');
  when.className = 'govuk-body-s hirs-history__when';
  when.textContent = localTime(event.occurredAt);
  const after = event.case || {};
  const facts = [`${t('desk_case_status')}: ${after.status || ''}`];
  if (after.crimeReference) facts.push(`${t('q_crime_reference')}: ${after.crimeReference}`);
  if ((event.reportIds || []).length) facts.push(`${t('desk_reports')}: ${event.reportIds.join(', ')}`);
  if ((event.relatedCaseIds || []).length) facts.push(`${t('desk_event_related')}: ${event.relatedCaseIds.join(', ')}`);
  const detail = document.createElement('p');
  detail.className = 'govuk-body';
  detail.textContent = facts.join(' · ');
  li.append(what, when, detail);
  return li;
}

// The history of case `id`: call the result with true for its newest
// page (its button shows the older ones).
export function caseHistory(id) {
  return pagedList({
    path: `/v1/cases/${encodeURIComponent(id)}/events`,
    items: 'events',
    list: document.getElementById('case-history'),
    more: document.getElementById('case-history-more'),
    pageSize: 20,
    render: item,
  });
}
