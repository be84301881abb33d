/** Languages the widget speaks; Brazilian Portuguese is the default. */
export type Lang = 'pt-BR' | 'en';

/** What the status line can say. */
export type StatusKey =
  | 'opening'
  | 'live'
  | 'denied'
  | 'notFound'
  | 'notReadable'
  | 'ended'
  | 'unsupported'
  | 'error';

/** Every text the widget shows, in each language. */
export const texts: Record<Lang, { preview: string; status: Record<StatusKey, string> }> = {
  'pt-BR': {
    preview: 'Pré-visualização da câmera',
    status: {
      opening: 'Abrindo a câmera…',
      live: 'Câmera pronta',
      denied: 'Acesso à câmera negado. Permita o uso da câmera para continuar.',
      notFound: 'Nenhuma câmera encontrada. Verifique se a câmera está conectada.',
      notReadable: 'A câmera não respondeu. Ela pode estar em uso por outro programa.',
      ended: 'A câmera foi desconectada. Conecte-a novamente para continuar.',
      unsupported: 'Este aplicativo não tem acesso a câmeras.',
      error: 'Não foi possível abrir a câmera.',
    },
  },
  en: {
    preview: 'Camera preview',
    status: {
      opening: 'Opening the camera…',
      live: 'Camera ready',
      denied: 'Camera access denied. Allow camera use to continue.',
      notFound: 'No camera found. Check that the camera is connected.',
      notReadable: 'The camera did not respond. Another program may be using it.',
      ended: 'The camera was disconnected. Connect it again to continue.',
      unsupported: 'This app has no access to cameras.',
      error: 'Could not open the camera.',
    },
  },
};

/** Maps a `lang` attribute to a supported language: any `en*` is English, everything else pt-BR. */
export function resolveLang(lang: string | undefined): Lang {
  return lang?.toLowerCase().startsWith('en') ? 'en' : 'pt-BR';
}
