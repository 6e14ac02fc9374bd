import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { setupI18n } from './lib/i18n/setup';
import { initialLocale } from './lib/i18n/locales';
import { loadAvailableLocales, session } from './lib/app';
import { navigate, startRouter } from './lib/router';
import { resolveRoute } from './routes';

async function start(): Promise<void> {
  // Fetch the first page's code while the catalogue and the profile load, not after them.
  resolveRoute(window.location.pathname).route.page().catch(() => undefined);
  await setupI18n(initialLocale(session.storedLocale(), navigator.languages));
  startRouter();
  // A click on a push notification (public/sw.js) asks an open window to show the inbox.
  navigator.serviceWorker?.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { type?: string; url?: string } | null;
    if (data?.type === 'revenge:navigate' && data.url?.startsWith('/')) navigate(data.url);
  });
  navigator.serviceWorker?.startMessages();
  // The profile may have changed elsewhere (e.g. language picked on another device).
  await Promise.allSettled([session.reload(), loadAvailableLocales()]);
  mount(App, { target: document.getElementById('app')! });
}

void start();
