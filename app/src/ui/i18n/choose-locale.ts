/** Which language the UI speaks: the person's stored choice, else the browser's first one we have. */
export type Locale = 'en' | 'ru';

export const LOCALES: readonly Locale[] = ['en', 'ru'];

function isLocale(value: string | null): value is Locale {
  return (LOCALES as readonly (string | null)[]).includes(value);
}

/** `languages` as in navigator.languages (e.g. ['ru-RU', 'en']); `stored` from localStorage. */
export function chooseLocale(languages: readonly string[], stored: string | null): Locale {
  if (isLocale(stored)) return stored;
  for (const language of languages) {
    const primary = language.split('-')[0]!.toLowerCase();
    if (isLocale(primary)) return primary;
  }
  return 'en';
}
