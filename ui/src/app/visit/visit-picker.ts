import { Component, inject } from '@angular/core';
import { TranslatePipe } from '@ngx-translate/core';
import { LanguageService } from '../i18n/language';
import type { MediaEntry } from '../ipc/bindings/MediaEntry';
import type { RemovableMedium } from '../ipc/bindings/RemovableMedium';
import { VisitService } from './visit-service';

/** `bytes` as the customer reads it: "820 KB", "2,4 MB" (in `lang`'s number format). */
export function formatSize(bytes: number, lang: string): string {
  const number = (value: number) =>
    value.toLocaleString(lang, { maximumFractionDigits: value < 10 ? 1 : 0 });
  if (bytes < 1000 * 1000) return `${number(Math.max(1, Math.round(bytes / 1000)))} KB`;
  return `${number(bytes / (1000 * 1000))} MB`;
}

/**
 * The customer's document picker: the removable media mounted now, then a medium's folders, images
 * and PDFs as large buttons. No path field, nothing above the medium's root (the backend lists and
 * checks every path), no "recent" files. "Voltar" goes up one folder, then to the media, then to
 * the document sources. Its state lives in `VisitService`, wiped with the visit.
 */
@Component({
  selector: 'app-visit-picker',
  imports: [TranslatePipe],
  templateUrl: './visit-picker.html',
  styleUrl: './visit-picker.css',
})
export class VisitPicker {
  protected readonly visit = inject(VisitService);
  private readonly language = inject(LanguageService);

  /** Opens a folder or takes a document. */
  protected async open(medium: RemovableMedium, entry: MediaEntry): Promise<void> {
    if (entry.kind === 'folder') {
      await this.visit.openFolder(medium, entry.path);
    } else {
      await this.visit.pickFile(entry.path);
    }
  }

  protected size(entry: MediaEntry): string {
    return formatSize(entry.size, this.language.current());
  }

  /** The medium and the folders down to the one shown: `STICK / DCIM / 100`. */
  protected where(medium: RemovableMedium, path: string): string[] {
    return [medium.label, ...(path ? path.split('/') : [])];
  }
}
