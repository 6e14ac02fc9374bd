/**
 * The app's one outbox of play reports (audio and video share it) and the device name. What a
 * previous page left unsent (a stop lost to the network or a closing tab) goes out at start,
 * and again whenever the browser comes back online.
 */
import { api } from '../app';
import { storage } from '../storage';
import { Outbox, apiSend, deviceName } from './reporting';

export const outbox = new Outbox(storage, apiSend(api));
export const device = deviceName(typeof navigator === 'undefined' ? '' : navigator.userAgent);

if (typeof window !== 'undefined') {
  window.addEventListener('online', () => void outbox.flush());
  // After the app has started (and refreshed its login if needed).
  setTimeout(() => void outbox.flush(), 2000);
}
