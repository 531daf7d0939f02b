// The sign-in page: id or e-mail, password, and the authenticator's code.
import { call, clearErrors, showErrors, t } from '/static/js/page.js';

const form = document.getElementById('sign-in');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const login = form.login.value.trim();
  const password = form.password.value;
  const code = form.code.value.trim();
  const missing = [];
  if (!login) missing.push({ field: 'login', text: t('sign_in_login_missing') });
  if (!password) missing.push({ field: 'password', text: t('sign_in_password_missing') });
  // No code only at a first sign-in, before the authenticator is set up:
  // the server decides.
  if (code && !/^[0-9]{6}$/.test(code)) missing.push({ field: 'code', text: t('sign_in_code_missing') });
  if (missing.length > 0) {
    showErrors(missing);
    return;
  }
  clearErrors();
  const result = await call('POST', '/sign-in', { login, password, code }, { signInOn401: false });
  if (!result.ok) {
    form.password.value = '';
    form.code.value = '';
    const text = result.status === 401 ? t('sign_in_failed')
      : result.status === 429 ? t('sign_in_too_many') : (result.error.message || t('error_unknown'));
    showErrors([{ field: '', text }]);
    return;
  }
  const next = new URLSearchParams(location.search).get('next') || '/';
  // Only a path of this site: never a redirect elsewhere.
  const safe = next.startsWith('/') && !next.startsWith('//') ? next : '/';
  if (result.body.mustEnrolSecondFactor) location.assign('/enrol');
  else location.assign(result.body.mustChangePassword ? '/change-password' : safe);
});
