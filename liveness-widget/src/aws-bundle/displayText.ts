import type { FaceLivenessDetectorCoreProps } from '@aws-amplify/ui-react-liveness';
import type { Lang } from '../i18n';

/** Amplify's `LivenessDisplayText` (every text its detector can show). */
export type LivenessDisplayText = NonNullable<FaceLivenessDetectorCoreProps['displayText']>;

/**
 * Every text of the Amplify detector in Brazilian Portuguese (the type makes a missing key a compile error). Most
 * error texts are never seen: the kiosk replaces Amplify's error screen with its own.
 */
export const ptBRDisplayText: Required<LivenessDisplayText> = {
  // Camera
  cameraMinSpecificationsHeadingText: 'A câmera não atende às especificações mínimas',
  cameraMinSpecificationsMessageText: 'A câmera precisa ter pelo menos 320x240 de resolução e 15 quadros por segundo.',
  cameraNotFoundHeadingText: 'A câmera não está acessível.',
  cameraNotFoundMessageText:
    'Verifique se a câmera está conectada e se nenhum outro programa está usando a câmera. Se precisar, chame um funcionário.',
  retryCameraPermissionsText: 'Tentar novamente',
  waitingCameraPermissionText: 'Aguardando a permissão para usar a câmera.',
  a11yVideoLabelText: 'Câmera da verificação de rosto',
  // Hints over the camera picture
  hintMoveFaceFrontOfCameraText: 'Coloque o rosto em frente à câmera',
  hintTooManyFacesText: 'Deixe apenas um rosto em frente à câmera',
  hintFaceDetectedText: 'Rosto detectado',
  hintCanNotIdentifyText: 'Coloque o rosto em frente à câmera',
  hintTooCloseText: 'Afaste-se um pouco',
  hintTooFarText: 'Aproxime-se',
  hintConnectingText: 'Conectando…',
  hintVerifyingText: 'Verificando…',
  hintCheckCompleteText: 'Verificação concluída',
  hintIlluminationTooBrightText: 'Procure um lugar com menos luz',
  hintIlluminationTooDarkText: 'Procure um lugar com mais luz',
  hintIlluminationNormalText: 'Iluminação adequada',
  hintHoldFaceForFreshnessText: 'Não se mexa',
  hintCenterFaceText: 'Centralize o rosto',
  hintCenterFaceInstructionText:
    'Antes de começar, olhe para a câmera com o rosto no centro. Quando a verificação começar, um oval aparece no centro: aproxime-se até o rosto preencher o oval e depois não se mexa. Depois de alguns segundos sem se mexer, a verificação termina.',
  hintFaceOffCenterText: 'O rosto não está no oval. Centralize o rosto na câmera.',
  hintMatchIndicatorText: '50% concluído. Continue se aproximando.',
  // Start screen (the kiosk shows its own intro instead)
  goodFitCaptionText: 'Bom encaixe',
  goodFitAltText: 'Ilustração de um rosto que preenche o oval por completo.',
  tooFarCaptionText: 'Longe demais',
  tooFarAltText: 'Ilustração de um rosto dentro de um oval, com espaço entre o rosto e a borda do oval.',
  startScreenBeginCheckText: 'Começar a verificação',
  photosensitivityWarningHeadingText: 'Aviso de fotossensibilidade',
  photosensitivityWarningBodyText: 'Esta verificação pisca cores diferentes. Tenha cuidado se você é fotossensível.',
  photosensitivityWarningInfoText:
    'Algumas pessoas podem ter crises epilépticas quando expostas a luzes coloridas. Tenha cuidado se você ou alguém da sua família tem epilepsia.',
  photosensitivityWarningLabelText: 'Mais informações sobre fotossensibilidade',
  photosensitivyWarningHeadingText: 'Aviso de fotossensibilidade',
  photosensitivyWarningBodyText: 'Esta verificação pisca cores diferentes. Tenha cuidado se você é fotossensível.',
  photosensitivyWarningInfoText:
    'Algumas pessoas podem ter crises epilépticas quando expostas a luzes coloridas. Tenha cuidado se você ou alguém da sua família tem epilepsia.',
  photosensitivyWarningLabelText: 'Mais informações sobre fotossensibilidade',
  // While recording
  recordingIndicatorText: 'Gravando',
  cancelLivenessCheckText: 'Cancelar a verificação de rosto',
  // Errors (replaced by the kiosk's error screen)
  errorLabelText: 'Erro',
  connectionTimeoutHeaderText: 'Tempo de conexão esgotado',
  connectionTimeoutMessageText: 'A conexão demorou demais.',
  timeoutHeaderText: 'Tempo esgotado',
  timeoutMessageText: 'O rosto não preencheu o oval a tempo. Tente novamente e preencha o oval com o rosto.',
  faceDistanceHeaderText: 'Movimento para a frente detectado',
  faceDistanceMessageText: 'Não se aproxime enquanto a conexão é feita.',
  multipleFacesHeaderText: 'Mais de um rosto detectado',
  multipleFacesMessageText: 'Deixe apenas um rosto em frente à câmera enquanto a conexão é feita.',
  clientHeaderText: 'Erro no quiosque',
  clientMessageText: 'A verificação falhou por um problema no quiosque',
  serverHeaderText: 'Problema no servidor',
  serverMessageText: 'Não foi possível concluir a verificação por um problema no servidor',
  landscapeHeaderText: 'Orientação horizontal não suportada',
  landscapeMessageText: 'Gire o aparelho para a posição vertical (retrato).',
  portraitMessageText: 'Mantenha o aparelho na posição vertical (retrato) durante toda a verificação.',
  tryAgainText: 'Tentar novamente',
};

/** Amplify's texts for `lang`: ours in pt-BR, Amplify's own (English) defaults otherwise. */
export function displayTextFor(lang: Lang): LivenessDisplayText | undefined {
  return lang === 'pt-BR' ? ptBRDisplayText : undefined;
}
