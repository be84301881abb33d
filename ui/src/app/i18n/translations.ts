import {
  type EnvironmentProviders,
  type Provider,
  inject,
  provideAppInitializer,
} from '@angular/core';
import {
  type TranslateLoader,
  type TranslationObject,
  provideTranslateLoader,
  provideTranslateService,
} from '@ngx-translate/core';
import { type Observable, of } from 'rxjs';
import type { Language } from '../ipc/bindings/Language';
import en from './en.json';
import ptBR from './pt-BR.json';
import { DEFAULT_LANGUAGE, LanguageService } from './language';

/** Translation tables compiled into the bundle: the app never fetches them at run time. */
export const TRANSLATIONS: Record<Language, TranslationObject> = { 'pt-BR': ptBR, en };

/** Serves the bundled tables to ngx-translate. */
class BundledTranslationLoader implements TranslateLoader {
  getTranslation(lang: string): Observable<TranslationObject> {
    return of(TRANSLATIONS[lang as Language] ?? TRANSLATIONS[DEFAULT_LANGUAGE]);
  }
}

/** Runtime translations, starting in the language stored in the kiosk settings. */
export function provideI18n(): (Provider | EnvironmentProviders)[] {
  return [
    provideTranslateService({
      // A factory, not the class: ngx-translate tells classes from factories by their source text,
      // which minification changes (`class{…}`), and would then call the class without `new`.
      loader: provideTranslateLoader(() => new BundledTranslationLoader()),
      lang: DEFAULT_LANGUAGE,
      fallbackLang: DEFAULT_LANGUAGE,
    }),
    provideAppInitializer(() => inject(LanguageService).restore()),
  ];
}
