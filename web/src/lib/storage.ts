/** localStorage when there is one (browser), else memory (tests, private modes that throw). */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export function memoryStorage(): KeyValueStorage {
  const data = new Map<string, string>();
  return {
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
    removeItem: (key) => void data.delete(key),
  };
}

function browserStorage(): KeyValueStorage {
  try {
    const s = globalThis.localStorage;
    if (s) {
      s.getItem('revenge.probe');
      return s;
    }
  } catch {
    // Storage disabled: fall through to memory.
  }
  return memoryStorage();
}

export const storage: KeyValueStorage = browserStorage();

export function readJson<T>(key: string, store: KeyValueStorage = storage): T | null {
  const raw = store.getItem(key);
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

export function writeJson(key: string, value: unknown, store: KeyValueStorage = storage): void {
  if (value === null || value === undefined) store.removeItem(key);
  else store.setItem(key, JSON.stringify(value));
}
