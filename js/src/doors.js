// Every door: what each API of the catalogue (guard-core/data/wx-apis.txt,
// 496 names) and each component attribute the base library renders hands to
// the network, and how the bridge checks it. ONE table, used by the bridge
// (index.js) and by js/test/doors.test.mjs, which fails when a catalogue name
// is missing here. Contract: docs/policy.md §3.7 (every network target is
// checked; images, fonts, audio and video as `download`; raw sockets as
// `tcp`/`udp`).
//
// Spec shapes (all frozen; read by wrap(), never at call time):
//   NO_TARGET                      the API hands the network nothing the mini
//                                  program chose (local, device, UI, or the
//                                  platform's own hosts: login, payment, ads,
//                                  analytics, logs)
//   { kind, options: [path...] }   URL(s) in the first argument's options:
//                                  'url', 'urls[]' (array of strings),
//                                  'sources[].url' (field of array items)
//   { kind, css: [path] }          a CSS value with url(...) (loadFontFace)
//   local: true                    the field takes a local file path OR a URL:
//                                  a local path (see isLocalPath) passes as
//                                  given, anything else is checked as `kind`
//   { returns: { set, methods } }  the API returns an object (a context, a
//                                  socket) whose setters (`set`: property ->
//                                  spec) or methods (`methods`: name -> spec,
//                                  with `args: [i]` for a positional URL,
//                                  `raw: 'tcp'|'udp'` for a host+port target,
//                                  or a nested `returns`) take targets
//
// A network-capable API of the catalogue missing here is a bug that the test
// catches; a name outside the catalogue (a custom superapp API) gets the API
// check only (docs/threat-model.md, "custom APIs").

const objectFreeze = Object.freeze;
const setPrototypeOf = Object.setPrototypeOf;
// Specs are null-prototype and frozen: the bridge reads fields such as
// `local` or `raw` at call time, and a property planted on Object.prototype
// must not be able to answer for a field a spec lacks.
const freeze = (o) => objectFreeze(Array.isArray(o) ? o : setPrototypeOf(o, null));

/** The API hands the network no target the mini program chose. */
export const NO_TARGET = freeze({ none: true });

const url = (kind, options, extra) => freeze({ kind, options: freeze(options), ...extra });
const mediaSetters = (props) => {
  const set = { __proto__: null };
  for (const p of props) set[p] = freeze({ kind: 'download', local: true });
  return freeze(set);
};
const localDownload = (...options) => url('download', options, { local: true });

const NETWORK = {
  // The four request APIs.
  request: url('request', ['url']),
  uploadFile: url('upload', ['url']),
  downloadFile: url('download', ['url']),
  connectSocket: url('socket', ['url']),
  // Media and images the platform fetches: checked as `download`.
  getImageInfo: localDownload('src'),
  previewImage: localDownload('urls[]', 'current'),
  previewMedia: localDownload('sources[].url', 'sources[].poster'),
  preloadAssets: localDownload('data[].src'),
  loadFontFace: freeze({ kind: 'download', css: freeze(['source']) }),
  playBackgroundAudio: localDownload('dataUrl', 'coverImgUrl'),
  shareAppMessageToGroup: localDownload('imageUrl'),
  getBackgroundAudioManager: freeze({ returns: freeze({ set: mediaSetters(['src', 'coverImgUrl']) }) }),
  createInnerAudioContext: freeze({ returns: freeze({ set: mediaSetters(['src']) }) }),
  createAudioContext: freeze({ returns: freeze({ methods: freeze({ setSrc: freeze({ kind: 'download', local: true, args: freeze([0]) }) }) }) }),
  createVideoDecoder: freeze({ returns: freeze({ methods: freeze({ start: localDownload('source') }) }) }),
  createOffscreenCanvas: freeze({ returns: freeze({ methods: freeze({ createImage: freeze({ returns: freeze({ set: mediaSetters(['src']) }) }) }) }) }),
  createMapContext: freeze({ returns: freeze({ methods: freeze({
    addMarkers: localDownload('markers[].iconPath'),
    addGroundOverlay: localDownload('src'),
    updateGroundOverlay: localDownload('src'),
    setLocMarkerIcon: localDownload('iconPath'),
  }) }) }),
  // Pages opened in a web view.
  openOfficialAccountArticle: url('webview', ['url']),
  // Raw sockets: host and port, checked with tcp/udp (§3.7).
  createUDPSocket: freeze({ returns: freeze({ methods: freeze({ send: freeze({ raw: 'udp' }), connect: freeze({ raw: 'udp' }) }) }) }),
  createTCPSocket: freeze({ returns: freeze({ methods: freeze({ connect: freeze({ raw: 'tcp' }) }) }) }),
  // Fields that take a local path and, on some runtimes, a URL: a URL is
  // checked as `download`, a local path passes.
  saveImageToPhotosAlbum: localDownload('filePath'),
  saveVideoToPhotosAlbum: localDownload('filePath'),
  saveFileToDisk: localDownload('filePath'),
  openDocument: localDownload('filePath'),
  openVideoEditor: localDownload('filePath'),
  playVoice: localDownload('filePath'),
  compressImage: localDownload('src'),
  compressVideo: localDownload('src'),
  cropImage: localDownload('src'),
  editImage: localDownload('src'),
  getVideoInfo: localDownload('src'),
  shareFileMessage: localDownload('filePath'),
  shareVideoMessage: localDownload('videoPath', 'thumbPath'),
  showShareImageMenu: localDownload('path'),
  addVideoToFavorites: localDownload('videoPath', 'thumbPath'),
  addFileToFavorites: localDownload('filePath'),
  shareImageToGroup: localDownload('imagePath'),
  shareEmojiToGroup: localDownload('imagePath'),
  shareVideoToGroup: localDownload('videoPath', 'thumbPath'),
  shareFileToGroup: localDownload('filePath'),
};

// Everything else in the catalogue: no target the mini program chose. Listed
// one by one so that a new catalogue name fails js/test/doors.test.mjs until
// someone classifies it.
const NONE = [
  'addCard', 'addPaymentPassFinish', 'addPaymentPassGetCertificateData', 'addPhoneCalendar',
  'addPhoneContact', 'addPhoneRepeatCalendar', 'arrayBufferToBase64', 'authPrivateMessage', 'authorize',
  'authorizeForMiniProgram', 'base64ToArrayBuffer', 'batchGetStorage', 'batchGetStorageSync',
  'batchSetStorage', 'batchSetStorageSync', 'bindEmployeeRelation', 'canAddSecureElementPass', 'canIUse',
  'cancelIdleCallback', 'canvasGetImageData', 'canvasPutImageData', 'canvasToTempFilePath',
  'checkDeviceSupportHevc', 'checkEmployeeRelation', 'checkIsAddedToMyMiniProgram',
  'checkIsOpenAccessibility', 'checkIsPictureInPictureActive', 'checkIsSoterEnrolledInDevice',
  'checkIsSupportFacialRecognition', 'checkIsSupportSoterAuthentication', 'checkSession',
  'checkTransitCardSupport', 'chooseAddress', 'chooseContact', 'chooseImage', 'chooseInvoice',
  'chooseInvoiceTitle', 'chooseLicensePlate', 'chooseLocation', 'chooseMedia', 'chooseMessageFile',
  'choosePoi', 'chooseVideo', 'clearStorage', 'clearStorageSync', 'closeBLEConnection',
  'closeBluetoothAdapter', 'closeSocket', 'connectWifi', 'createAnimation', 'createBLEConnection',
  'createBLEPeripheralServer', 'createBufferURL', 'createCacheManager', 'createCameraContext',
  'createCanvasContext', 'createGlobalPayment', 'createInferenceSession', 'createIntersectionObserver',
  'createInterstitialAd', 'createLivePlayerContext', 'createLivePusherContext', 'createMediaAudioPlayer',
  'createMediaContainer', 'createMediaRecorder', 'createRewardedVideoAd', 'createSelectorQuery',
  'createVKSession', 'createVideoContext', 'createWebAudioContext', 'createWorker', 'deleteTransitCard',
  'disableAlertBeforeUnload', 'enableAlertBeforeUnload', 'enterChatToolMode', 'exitMiniProgram',
  'exitVoIPChat', 'faceDetect', 'getAccountInfoSync', 'getApiCategory', 'getAppAuthorizeSetting',
  'getAppBaseInfo', 'getAvailableAudioSources', 'getBLEDeviceCharacteristics', 'getBLEDeviceRSSI',
  'getBLEDeviceServices', 'getBLEMTU', 'getBackgroundAudioPlayerState', 'getBackgroundFetchData',
  'getBackgroundFetchToken', 'getBatteryInfo', 'getBatteryInfoSync', 'getBeacons',
  'getBluetoothAdapterState', 'getBluetoothDevices', 'getChannelsLiveInfo', 'getChannelsLiveNoticeInfo',
  'getChannelsShareKey', 'getChatToolInfo', 'getClipboardData', 'getCommonConfig',
  'getConnectedBluetoothDevices', 'getConnectedWifi', 'getDeviceBenchmarkInfo', 'getDeviceInfo',
  'getDeviceVoIPList', 'getEmailAddress', 'getEnterOptionsSync', 'getExptInfoSync', 'getExtConfig',
  'getExtConfigSync', 'getFileSystemManager', 'getFuzzyLocation', 'getGroupEnterInfo', 'getHCEState',
  'getInferenceEnvInfo', 'getLaunchOptionsSync', 'getLocalIPAddress', 'getLocation', 'getLogManager',
  'getMenuButtonBoundingClientRect', 'getNFCAdapter', 'getNetworkType', 'getPerformance', 'getPhoneNumber',
  'getPluginUpdateManager', 'getPrivacySetting', 'getRandomValues', 'getRealtimeLogManager',
  'getRecorderManager', 'getRendererUserAgent', 'getScreenBrightness', 'getScreenRecordingState',
  'getSecureElementPasses', 'getSelectedTextRange', 'getSetting', 'getShareInfo', 'getShowSplashAdStatus',
  'getSkylineInfo', 'getSkylineInfoSync', 'getStorage', 'getStorageInfo', 'getStorageInfoSync',
  'getStorageSync', 'getSystemInfo', 'getSystemInfoAsync', 'getSystemInfoSync', 'getSystemSetting',
  'getTransitCardCPLC', 'getTransitCardInfo', 'getTransitCardList', 'getUpdateManager',
  'getUserCryptoManager', 'getUserInfo', 'getUserProfile', 'getWeRunData', 'getWifiList', 'getWindowInfo',
  'hideHomeButton', 'hideKeyboard', 'hideLoading', 'hideNavigationBarLoading', 'hideShareMenu', 'hideTabBar',
  'hideTabBarRedDot', 'hideToast', 'initFaceDetect', 'isBluetoothDevicePaired', 'isVKSupport',
  'issueTransitCard', 'join1v1Chat', 'joinVoIPChat', 'jumpToOfflinePay', 'loadBuiltInFontFace', 'login',
  'makeBluetoothPair', 'makePhoneCall', 'navigateBack', 'navigateBackMiniProgram', 'navigateTo',
  'navigateToMiniProgram', 'nextTick', 'notifyBLECharacteristicValueChange', 'notifyGroupMembers',
  'offAccelerometerChange', 'offAfterPageLoad', 'offAfterPageUnload', 'offApiCategoryChange', 'offAppHide',
  'offAppRoute', 'offAppRouteDone', 'offAppShow', 'offAudioInterruptionBegin', 'offAudioInterruptionEnd',
  'offBLECharacteristicValueChange', 'offBLEConnectionStateChange', 'offBLEMTUChange',
  'offBLEPeripheralConnectionStateChanged', 'offBatteryInfoChange', 'offBeaconServiceChange',
  'offBeaconUpdate', 'offBeforeAppRoute', 'offBeforePageLoad', 'offBeforePageUnload',
  'offBluetoothAdapterStateChange', 'offBluetoothDeviceFound', 'offCompassChange', 'offCopyUrl',
  'offDeviceMotionChange', 'offEmbeddedMiniProgramHeightChange', 'offError', 'offGeneratePoster',
  'offGetWifiList', 'offGyroscopeChange', 'offHCEMessage', 'offKeyDown', 'offKeyUp',
  'offKeyboardHeightChange', 'offLazyLoadError', 'offLocalServiceDiscoveryStop', 'offLocalServiceFound',
  'offLocalServiceLost', 'offLocalServiceResolveFail', 'offLocationChange', 'offLocationChangeError',
  'offMemoryWarning', 'offMenuButtonBoundingClientRectWeightChange', 'offNetworkStatusChange',
  'offNetworkWeakChange', 'offPageNotFound', 'offParallelStateChange', 'offScreenRecordingStateChanged',
  'offThemeChange', 'offUnhandledRejection', 'offUserCaptureScreen', 'offUserOffTranslation',
  'offUserTriggerTranslation', 'offVoIPChatInterrupted', 'offVoIPChatMembersChanged',
  'offVoIPChatSpeakersChanged', 'offVoIPChatStateChanged', 'offVoIPVideoMembersChanged', 'offWifiConnected',
  'offWifiConnectedWithPartialInfo', 'offWindowResize', 'offWindowStateChange', 'onAccelerometerChange',
  'onAfterPageLoad', 'onAfterPageUnload', 'onApiCategoryChange', 'onAppHide', 'onAppRoute', 'onAppRouteDone',
  'onAppShow', 'onAudioInterruptionBegin', 'onAudioInterruptionEnd', 'onBLECharacteristicValueChange',
  'onBLEConnectionStateChange', 'onBLEMTUChange', 'onBLEPeripheralConnectionStateChanged',
  'onBackgroundAudioPause', 'onBackgroundAudioPlay', 'onBackgroundAudioStop', 'onBackgroundFetchData',
  'onBatteryInfoChange', 'onBeaconServiceChange', 'onBeaconUpdate', 'onBeforeAppRoute', 'onBeforePageLoad',
  'onBeforePageUnload', 'onBluetoothAdapterStateChange', 'onBluetoothDeviceFound', 'onCompassChange',
  'onCopyUrl', 'onDeviceMotionChange', 'onEmbeddedMiniProgramHeightChange', 'onError', 'onGeneratePoster',
  'onGetWifiList', 'onGyroscopeChange', 'onHCEMessage', 'onKeyDown', 'onKeyUp', 'onKeyboardHeightChange',
  'onLazyLoadError', 'onLocalServiceDiscoveryStop', 'onLocalServiceFound', 'onLocalServiceLost',
  'onLocalServiceResolveFail', 'onLocationChange', 'onLocationChangeError', 'onMemoryWarning',
  'onMenuButtonBoundingClientRectWeightChange', 'onNeedPrivacyAuthorization', 'onNetworkStatusChange',
  'onNetworkWeakChange', 'onPageNotFound', 'onParallelStateChange', 'onScreenRecordingStateChanged',
  'onSocketClose', 'onSocketError', 'onSocketMessage', 'onSocketOpen', 'onThemeChange',
  'onUnhandledRejection', 'onUserCaptureScreen', 'onUserOffTranslation', 'onUserTriggerTranslation',
  'onVoIPChatInterrupted', 'onVoIPChatMembersChanged', 'onVoIPChatSpeakersChanged', 'onVoIPChatStateChanged',
  'onVoIPVideoMembersChanged', 'onWifiConnected', 'onWifiConnectedWithPartialInfo', 'onWindowResize',
  'onWindowStateChange', 'openAppAuthorizeSetting', 'openBluetoothAdapter', 'openCard',
  'openChannelsActivity', 'openChannelsEvent', 'openChannelsLive', 'openChannelsLiveNoticeInfo',
  'openChannelsUserProfile', 'openChatTool', 'openCustomerServiceChat', 'openDesignerProfile',
  'openEmbeddedMiniProgram', 'openHKOfflinePayView', 'openInquiriesTopic', 'openLocation',
  'openOfficialAccountChat', 'openOfficialAccountProfile', 'openPrivacyContract', 'openSetting',
  'openSingleStickerView', 'openStickerIPView', 'openStickerSetView', 'openStoreCouponDetail',
  'openStoreOrderDetail', 'openSystemBluetoothSetting', 'pageScrollTo', 'pauseBackgroundAudio', 'pauseVoice',
  'pluginLogin', 'postMessageToReferrerMiniProgram', 'postMessageToReferrerPage', 'preDownloadSubpackage',
  'preloadSkylineView', 'preloadWebview', 'reLaunch', 'readBLECharacteristicValue', 'rechargeTransitCard',
  'redirectTo', 'removeSecureElementPass', 'removeStorage', 'removeStorageSync', 'removeTabBarBadge',
  'reportAnalytics', 'reportEvent', 'reportMonitor', 'reportPerformance', 'requestAppleSubscribeSign',
  'requestCommonPayment', 'requestDeviceVoIP', 'requestFacialVerify', 'requestIdleCallback',
  'requestMerchantTransfer', 'requestOrderPayment', 'requestPayment', 'requestPluginPayment',
  'requestSubscribeDeviceMessage', 'requestSubscribeEmployeeMessage', 'requestSubscribeMessage',
  'requestVirtualPayment', 'requirePrivacyAuthorize', 'reserveChannelsLive', 'restartMiniProgram',
  'revokeBufferURL', 'rewriteRoute', 'scanCode', 'seekBackgroundAudio', 'selectGroupMembers',
  'sendHCEMessage', 'sendSms', 'sendSocketMessage', 'setBLEMTU', 'setBackgroundColor',
  'setBackgroundFetchToken', 'setBackgroundTextStyle', 'setClipboardData', 'setEnable1v1Chat',
  'setEnableDebug', 'setInnerAudioOption', 'setKeepScreenOn', 'setNavigationBarColor',
  'setNavigationBarTitle', 'setScreenBrightness', 'setStorage', 'setStorageSync', 'setTabBarBadge',
  'setTabBarItem', 'setTabBarStyle', 'setTopBarText', 'setVisualEffectOnCapture', 'setWifiList',
  'setWindowSize', 'shareToOfficialAccount', 'shareToWeRun', 'showActionSheet', 'showLoading', 'showModal',
  'showNavigationBarLoading', 'showRedPackage', 'showShareMenu', 'showTabBar', 'showTabBarRedDot',
  'showToast', 'startAccelerometer', 'startBeaconDiscovery', 'startBluetoothDevicesDiscovery',
  'startCompass', 'startDeviceMotionListening', 'startGyroscope', 'startHCE', 'startLocalServiceDiscovery',
  'startLocationUpdate', 'startLocationUpdateBackground', 'startPullDownRefresh', 'startRecord',
  'startSoterAuthentication', 'startWifi', 'stopAccelerometer', 'stopBackgroundAudio', 'stopBeaconDiscovery',
  'stopBluetoothDevicesDiscovery', 'stopCompass', 'stopDeviceMotionListening', 'stopFaceDetect',
  'stopGyroscope', 'stopHCE', 'stopLocalServiceDiscovery', 'stopLocationUpdate', 'stopPullDownRefresh',
  'stopRecord', 'stopVoice', 'stopWifi', 'subscribeVoIPVideoMembers', 'switchTab', 'updateShareMenu',
  'updateVoIPChatMuteConfig', 'updateWeChatApp', 'vibrateLong', 'vibrateShort',
  'writeBLECharacteristicValue',
];

const table = { __proto__: null };
for (const n of NONE) table[n] = NO_TARGET;
for (const n of Object.keys(NETWORK)) {
  if (table[n] !== undefined) throw new Error(`doors: ${n} classified twice`);
  table[n] = NETWORK[n];
}
/** Catalogue name -> spec. A null-prototype, frozen object. */
export const DOORS = freeze(table);

/**
 * Component attributes the base library renders from mini program markup:
 * component -> attribute -> spec. The base library asks
 * `guard.checkAttribute(appId, component, attribute, value)` before it sets
 * one and uses the answered `href`.
 */
export const COMPONENTS = freeze({
  __proto__: null,
  image: freeze({ src: freeze({ kind: 'download', local: true }) }),
  'cover-image': freeze({ src: freeze({ kind: 'download', local: true }) }),
  video: freeze({ src: freeze({ kind: 'download', local: true }), poster: freeze({ kind: 'download', local: true }) }),
  audio: freeze({ src: freeze({ kind: 'download', local: true }), poster: freeze({ kind: 'download', local: true }) }),
  'live-player': freeze({ src: freeze({ kind: 'download' }) }),
  'live-pusher': freeze({ url: freeze({ kind: 'upload' }) }),
  map: freeze({ 'markers[].iconPath': freeze({ kind: 'download', local: true }) }),
  'web-view': freeze({ src: freeze({ kind: 'webview' }) }),
});

/**
 * Whether `s` is a local file path, which never leaves the device: a
 * `wxfile://` path, or a path with no `:` at all that does not start (past
 * spaces and controls, which URL parsers skip) with two slashes or
 * backslashes (`//host/x` is a network path to some parsers). Anything else
 * is a URL for the guard to check. Uses string indexing only.
 */
export function isLocalPath(s) {
  const W = 'wxfile://';
  let prefix = s.length >= W.length;
  for (let i = 0; prefix && i < W.length; i++) if (s[i] !== W[i]) prefix = false;
  if (prefix) return true;
  let first = '';
  let second = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ':') return false;
    if (c <= ' ') continue;
    if (first === '') first = c;
    else if (second === '') second = c;
  }
  const slash = (c) => c === '/' || c === '\\';
  return !(slash(first) && slash(second));
}
