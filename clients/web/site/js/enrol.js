// Setting up the second factor at a first sign-in: the authenticator's QR
// code (and its key, to type instead), then a code from it to confirm.
import { call, clearErrors, showCallErrors, showWhenRead } from '/static/js/page.js';

const form = document.getElementById('enrol-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const result = await call('POST', '/v1/sessions:confirmSecondFactor', { code: form.code.value.trim() });
  if (!result.ok) {
    showCallErrors(result);
    return;
  }
  const caller = await call('GET', '/v1/caller');
  location.assign(caller.ok && caller.body.mustChangePassword ? '/change-password' : '/');
});

await showWhenRead('/v1/sessions:secondFactor', (enrolment) => {
  const qr = document.getElementById('enrol-qr');
  qr.src = `data:image/svg+xml;base64,${btoa(enrolment.totpQrSvg)}`;
  qr.hidden = false;
  const secret = new URL(enrolment.totpUri).searchParams.get('secret') || '';
  document.getElementById('enrol-key').textContent = secret.replace(/(.{4})/g, '$1 ').trim();
});
