/** Languages the widget speaks; Brazilian Portuguese is the default. */
export type Lang = 'pt-BR' | 'en';

/** What the status line can say about the camera. */
export type StatusKey =
  | 'opening'
  | 'live'
  | 'denied'
  | 'notFound'
  | 'notReadable'
  | 'ended'
  | 'unsupported'
  | 'error';

/** Error codes the widget has its own text for (engine refusals and the widget's own). */
export type ErrorTextKey =
  | 'too-many-attempts'
  | 'unknown-session'
  | 'already-used'
  | 'expired'
  | 'bad-frame'
  | 'no-frames'
  | 'models-missing'
  | 'camera-refused'
  | 'camera-changed'
  | 'engine-unavailable'
  | 'internal'
  | 'session-unavailable'
  // The AWS mode (provider="aws"): Amazon Rekognition Face Liveness through the Amplify detector.
  | 'aws-unreachable'
  | 'aws-timeout'
  | 'clock-skew'
  | 'aws-credentials'
  | 'aws-service'
  | 'aws-runtime'
  | 'aws-assets'
  | 'aws-endpoint-invalid'
  | 'face-distance'
  | 'multiple-faces';

/** Every text the widget shows, in one language. */
export interface Texts {
  preview: string;
  status: Record<StatusKey, string>;
  title: string;
  intro: { lead: string; steps: [string, string, string]; warningTitle: string; warning: string };
  buttons: { start: string; noFlash: string; cancel: string; retry: string; callStaff: string; staffInstead: string };
  /** Accessible names of the buttons; each starts with the button's visible text. */
  aria: {
    start: string;
    noFlash: string;
    cancel: string;
    retry: string;
    callStaff: string;
    staffInstead: string;
    progress: string;
    oval: string;
  };
  preparing: string;
  countdown: string;
  fitOval: string;
  moveCloser: string;
  holdStill: string;
  processing: string;
  success: string;
  successDetail: string;
  failureTitle: string;
  failure: string;
  attemptsLeft: (count: number) => string;
  noAttemptsLeft: string;
  cancelled: string;
  errorTitle: string;
  errors: Record<ErrorTextKey, string>;
  /** The camera cannot give what the kiosk needs; `given` describes what it gives (`320x240, 10 fps`). */
  cameraTooWeak: (given: string) => string;
  /** What a camera gives that has no mode at 15 fps or more. */
  belowMinimumRate: string;
  /** A `provider` this build has no mode for. */
  providerUnavailable: (provider: string) => string;
  /** The status line in the AWS mode's intro (the AWS detector opens the camera only after "start"). */
  awsReady: string;
  /** The status line while the AWS detector shows its own guidance over the camera picture. */
  awsFollow: string;
}

/** Every text the widget shows, in each language. */
export const texts: Record<Lang, Texts> = {
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
    title: 'Verificação de rosto',
    intro: {
      lead: 'Vamos confirmar que é você, ao vivo, em frente ao quiosque. Leva menos de um minuto.',
      steps: [
        'Olhe para a câmera e encaixe o rosto no oval.',
        'Quando pedirmos, aproxime-se até o rosto preencher o oval maior.',
        'Não se mexa enquanto a tela pisca em cores.',
      ],
      warningTitle: 'Aviso de fotossensibilidade',
      warning:
        'A tela vai piscar em cores. Se você tem epilepsia fotossensível ou é sensível a luzes piscando, faça a verificação sem cores piscando (uma pessoa confere o resultado) ou peça um funcionário.',
    },
    buttons: {
      start: 'Começar',
      noFlash: 'Verificar sem cores piscando',
      cancel: 'Cancelar',
      retry: 'Tentar novamente',
      callStaff: 'Chamar um funcionário',
      staffInstead: 'Prefiro ser atendido por um funcionário',
    },
    aria: {
      start: 'Começar a verificação de rosto',
      noFlash: 'Verificar sem cores piscando: só com os movimentos do rosto, e uma pessoa confere o resultado',
      cancel: 'Cancelar a verificação de rosto',
      retry: 'Tentar novamente a verificação de rosto',
      callStaff: 'Chamar um funcionário para ajudar',
      staffInstead: 'Prefiro ser atendido por um funcionário, sem a tela piscando',
      progress: 'Progresso da verificação',
      oval: 'Oval onde o rosto deve ficar',
    },
    preparing: 'Preparando a verificação…',
    countdown: 'Prepare-se: encaixe o rosto no oval',
    fitOval: 'Encaixe o rosto no oval',
    moveCloser: 'Aproxime-se',
    holdStill: 'Não se mexa',
    processing: 'Verificando… Aguarde um instante.',
    success: 'Verificação concluída',
    successDetail: 'Obrigado! Pode seguir para o próximo passo.',
    failureTitle: 'Verificação não concluída',
    failure: 'Não foi possível concluir a verificação.',
    attemptsLeft: (count) => (count === 1 ? 'Resta 1 tentativa.' : `Restam ${count} tentativas.`),
    noAttemptsLeft: 'Não há mais tentativas agora. Chame um funcionário.',
    cancelled: 'Verificação cancelada.',
    errorTitle: 'Não foi possível continuar',
    errors: {
      'too-many-attempts':
        'Foram muitas tentativas sem sucesso neste quiosque (5 em 3 minutos). Por favor, chame um atendente.',
      'unknown-session': 'Esta verificação não foi encontrada. Comece de novo.',
      'already-used': 'Esta verificação já foi encerrada. Comece de novo.',
      expired: 'O tempo da verificação acabou. Tente novamente.',
      'camera-refused': 'Esta câmera não pode ser usada na verificação. Por favor, chame um atendente.',
      'camera-changed': 'A câmera mudou durante a verificação. Tente novamente.',
      'bad-frame': 'Não foi possível ler a imagem da câmera. Tente novamente.',
      'no-frames': 'Nenhuma imagem da câmera chegou à verificação. Tente novamente.',
      'models-missing': 'A verificação de rosto não está instalada neste quiosque. Chame um funcionário.',
      'engine-unavailable': 'O serviço de verificação não está disponível neste quiosque. Chame um funcionário.',
      internal: 'Algo deu errado na verificação. Tente novamente ou chame um funcionário.',
      'session-unavailable': 'Não foi possível iniciar a verificação agora. Tente novamente ou chame um atendente.',
      'aws-unreachable': 'Não foi possível conectar ao serviço de verificação. Tente novamente em instantes ou chame um funcionário.',
      'aws-timeout': 'O tempo acabou antes de o rosto preencher o oval. Tente novamente e aproxime o rosto até preencher o oval.',
      'clock-skew': 'O relógio do quiosque está errado, por isso a verificação não pode continuar. Chame um funcionário.',
      'aws-credentials': 'O quiosque não conseguiu autorizar a verificação. Tente novamente ou chame um funcionário.',
      'aws-service': 'O serviço de verificação teve um problema. Tente novamente ou chame um funcionário.',
      'aws-runtime': 'A verificação de rosto parou por um erro no quiosque. Tente novamente ou chame um funcionário.',
      'aws-assets': 'Faltam arquivos da verificação de rosto neste quiosque. Chame um funcionário.',
      'aws-endpoint-invalid': 'O endereço do serviço de verificação configurado neste quiosque é inválido. Chame um funcionário.',
      'face-distance': 'Você se aproximou cedo demais. Não se mexa até o oval aparecer e tente novamente.',
      'multiple-faces': 'Há mais de um rosto em frente à câmera. Fique sozinho em frente ao quiosque e tente novamente.',
    },
    cameraTooWeak: (given) =>
      `A câmera não atende ao mínimo do quiosque: 640x480 a 15 quadros por segundo. Ela oferece ${given}. Chame um funcionário.`,
    belowMinimumRate: 'menos de 15 quadros por segundo',
    providerUnavailable: (provider) =>
      `O modo de verificação “${provider}” não está disponível nesta versão do componente. Chame um funcionário.`,
    awsReady: 'Toque em “Começar” quando estiver pronto.',
    awsFollow: 'Siga as instruções sobre a imagem da câmera.',
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
    title: 'Face check',
    intro: {
      lead: 'We will confirm that it is really you, live, in front of the kiosk. It takes less than a minute.',
      steps: [
        'Look at the camera and fit your face in the oval.',
        'When asked, move closer until your face fills the larger oval.',
        'Hold still while the screen flashes colours.',
      ],
      warningTitle: 'Photosensitivity warning',
      warning:
        'The screen will flash colours. If you have photosensitive epilepsy or are sensitive to flashing lights, take the check without flashing colours (a person reviews the result) or ask for staff.',
    },
    buttons: {
      start: 'Start',
      noFlash: 'Check without flashing colours',
      cancel: 'Cancel',
      retry: 'Try again',
      callStaff: 'Call staff',
      staffInstead: "I'd rather be helped by staff",
    },
    aria: {
      start: 'Start the face check',
      noFlash: 'Check without flashing colours: face movements only, and a person reviews the result',
      cancel: 'Cancel the face check',
      retry: 'Try again with a new face check',
      callStaff: 'Call staff for help',
      staffInstead: "I'd rather be helped by staff, without the flashing screen",
      progress: 'Check progress',
      oval: 'Oval where your face should be',
    },
    preparing: 'Getting the check ready…',
    countdown: 'Get ready: fit your face in the oval',
    fitOval: 'Fit your face in the oval',
    moveCloser: 'Move closer',
    holdStill: 'Hold still',
    processing: 'Checking… Please wait a moment.',
    success: 'Check complete',
    successDetail: 'Thank you! You can go on to the next step.',
    failureTitle: 'Check not completed',
    failure: 'The check could not be completed.',
    attemptsLeft: (count) => (count === 1 ? '1 attempt left.' : `${count} attempts left.`),
    noAttemptsLeft: 'No attempts are left for now. Please call staff.',
    cancelled: 'Check cancelled.',
    errorTitle: 'Could not continue',
    errors: {
      'too-many-attempts':
        'There have been too many unsuccessful attempts on this kiosk (5 in 3 minutes). Please ask a member of staff.',
      'unknown-session': 'This check was not found. Please start again.',
      'already-used': 'This check has already ended. Please start again.',
      expired: 'The check ran out of time. Please try again.',
      'camera-refused': 'This camera cannot be used for the check. Please ask a member of staff.',
      'camera-changed': 'The camera changed during the check. Please try again.',
      'bad-frame': 'The camera picture could not be read. Please try again.',
      'no-frames': 'No camera picture reached the check. Please try again.',
      'models-missing': 'Face checking is not installed on this kiosk. Please call staff.',
      'engine-unavailable': 'The check service is not available on this kiosk. Please call staff.',
      internal: 'Something went wrong with the check. Please try again or call staff.',
      'session-unavailable': 'The check could not be started right now. Please try again or ask a member of staff.',
      'aws-unreachable': 'Could not connect to the check service. Try again in a moment or call staff.',
      'aws-timeout': 'Time ran out before your face filled the oval. Try again and move closer until your face fills the oval.',
      'clock-skew': "The kiosk's clock is wrong, so the check cannot continue. Please call staff.",
      'aws-credentials': 'The kiosk could not authorise the check. Try again or call staff.',
      'aws-service': 'The check service had a problem. Try again or call staff.',
      'aws-runtime': 'The face check stopped because of an error on the kiosk. Try again or call staff.',
      'aws-assets': 'Files of the face check are missing on this kiosk. Please call staff.',
      'aws-endpoint-invalid': 'The address of the check service configured on this kiosk is not valid. Please call staff.',
      'face-distance': 'You moved closer too early. Hold still until the oval appears, then try again.',
      'multiple-faces': 'More than one face is in front of the camera. Stand alone in front of the kiosk and try again.',
    },
    cameraTooWeak: (given) =>
      `The camera does not meet the kiosk's minimum: 640x480 at 15 frames per second. It gives ${given}. Please call staff.`,
    belowMinimumRate: 'less than 15 frames per second',
    providerUnavailable: (provider) =>
      `The “${provider}” check mode is not available in this version of the widget. Please call staff.`,
    awsReady: 'Press “Start” when you are ready.',
    awsFollow: 'Follow the instructions over the camera picture.',
  },
};

/** Maps a `lang` attribute to a supported language: any `en*` is English, everything else pt-BR. */
export function resolveLang(lang: string | undefined): Lang {
  return lang?.toLowerCase().startsWith('en') ? 'en' : 'pt-BR';
}
