/**
 * The current language. `{i18n.t.send.title}` in a template follows a change of
 * language, because `t` reads the `locale` state.
 */
import { chooseLocale, type Locale } from './choose-locale.ts';
import { en, type Messages } from './en.ts';
import { ru } from './ru.ts';

const KEY = 'ferry-locale';
const catalogs: Record<Locale, Messages> = { en, ru };

function stored(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null; // storage blocked (some private modes): follow the browser
  }
}

class I18n {
  locale = $state<Locale>(chooseLocale(navigator.languages ?? [navigator.language], stored()));

  constructor() {
    document.documentElement.lang = this.locale;
  }

  get t(): Messages {
    return catalogs[this.locale];
  }

  /** The person's choice: kept for their next visit. */
  set(locale: Locale): void {
    this.locale = locale;
    document.documentElement.lang = locale;
    try {
      localStorage.setItem(KEY, locale);
    } catch {
      // Not kept, but this visit still switches.
    }
  }
}

export const i18n = new I18n();
