// Login: choose one of the server's demo members.
import { html, raw } from '../html.js';
import { t, getLang, local } from '../i18n.js';
import { ICONS } from '../icons.js';

const MEMBERS = [
  ['new', 'memberNew', 'memberNewDesc', '🌱'],
  ['loyal', 'memberLoyal', 'memberLoyalDesc', '⭐'],
  ['lapsing', 'memberLapsing', 'memberLapsingDesc', '🌙'],
];

function storeName(program) {
  const name = program ? local(program) : t('storeFallback');
  const i = name.indexOf(' ');
  if (i < 0) return name;
  return getLang() === 'en' ? name.slice(i + 1) : name.slice(0, i);
}

export function view({ program }) {
  return html`
    <div class="login">
      <div class="login-top">
        <button type="button" class="chip-btn" data-action="toggleLang" aria-label=${t('langSwitchLabel')}>${t('langSwitch')}</button>
      </div>
      <div class="login-brand">
        <span class="logo logo-big" aria-hidden="true">禾</span>
        <h1>${storeName(program)}</h1>
      </div>
      <h2 class="login-title">${t('loginTitle')}</h2>
      <p class="muted small">${t('loginHint')}</p>
      <ul class="member-choices" role="list">
        ${MEMBERS.map(
          ([id, name, desc, icon]) => html`<li><button type="button" class="member-choice" id=${`login-${id}`} data-action="login" data-arg=${id}
              aria-label=${t('loginAs', { name: t(name) })}>
            <span class="avatar" aria-hidden="true">${icon}</span>
            <span class="member-choice-text"><strong>${t(name)}</strong><small>${t(desc)}</small></span>
            <span class="chev" aria-hidden="true">${raw(ICONS.chevron)}</span>
          </button></li>`,
        )}
      </ul>
    </div>`;
}

export const actions = {};
