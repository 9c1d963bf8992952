// The sites of the typings (js/scripts/typings-surface.mjs) that are NOT
// network targets, each under the reason why: the other half of the door
// table (./doors.js), read only by js/test/door-sites.test.mjs, which fails
// when a site of the installed typings is in neither. Moving a site here is
// a security decision: say why in the reason's comment.

/** Why a site is not a target -> the sites. */
export const NOT_TARGETS = Object.freeze({
  // A file on the device or in the code package: the file system manager
  // and destinations the platform writes to never fetch a URL.
  local: [
    'FileSystemManager.access(0).path', 'FileSystemManager.accessSync(0)',
    'FileSystemManager.appendFile(0).filePath', 'FileSystemManager.appendFileSync(0)',
    'FileSystemManager.copyFile(0).destPath', 'FileSystemManager.copyFile(0).srcPath',
    'FileSystemManager.copyFileSync(0)', 'FileSystemManager.copyFileSync(1)',
    'FileSystemManager.getFileInfo(0).filePath', 'FileSystemManager.mkdir(0).dirPath',
    'FileSystemManager.mkdirSync(0)', 'FileSystemManager.open(0).filePath',
    'FileSystemManager.openSync(0).filePath', 'FileSystemManager.readCompressedFile(0).filePath',
    'FileSystemManager.readCompressedFileSync(0).filePath', 'FileSystemManager.readFile(0).filePath',
    'FileSystemManager.readFileSync(0)', 'FileSystemManager.readZipEntry(0).entries[].path',
    'FileSystemManager.readZipEntry(0).filePath', 'FileSystemManager.readdir(0).dirPath',
    'FileSystemManager.readdirSync(0)', 'FileSystemManager.removeSavedFile(0).filePath',
    'FileSystemManager.rename(0).newPath', 'FileSystemManager.rename(0).oldPath',
    'FileSystemManager.renameSync(0)', 'FileSystemManager.renameSync(1)', 'FileSystemManager.rmdir(0).dirPath',
    'FileSystemManager.rmdirSync(0)', 'FileSystemManager.saveFile(0).filePath',
    'FileSystemManager.saveFile(0).tempFilePath', 'FileSystemManager.saveFileSync(0)',
    'FileSystemManager.saveFileSync(1)', 'FileSystemManager.stat(0).path', 'FileSystemManager.statSync(0)',
    'FileSystemManager.truncate(0).filePath', 'FileSystemManager.truncateSync(0).filePath',
    'FileSystemManager.unlink(0).filePath', 'FileSystemManager.unlinkSync(0)',
    'FileSystemManager.unzip(0).targetPath', 'FileSystemManager.unzip(0).zipFilePath',
    'FileSystemManager.writeFile(0).filePath', 'FileSystemManager.writeFileSync(0)',
    'downloadFile(0).filePath',
  ],
  // A page path (and query) of a mini program or game, opened by the
  // platform's router, never fetched.
  page: [
    'BackgroundAudioManager.referrerPath', 'LaunchOptionsApp.path', 'addPhoneCalendar(0).path',
    'addPhoneRepeatCalendar(0).path', 'createGameRecorderShareButton(0).share.path', 'navigateTo(0).url',
    'navigateToMiniProgram(0).path', 'notifyGroupMembers(0).entrancePath', 'openChatTool(0).url',
    'openCustomerServiceChat(0).sendMessagePath', 'openCustomerServiceConversation(0).sendMessagePath',
    'openEmbeddedMiniProgram(0).path', 'operateGameRecorderVideo(0).path', 'reLaunch(0).url',
    'redirectTo(0).url', 'requestCommonPayment(0).signData.product_info.path', 'restartMiniProgram(0).path',
    'rewriteRoute(0).url', 'shareAppMessage(0).path', 'shareAppMessageToGroup(0).path',
    'shareEmojiToGroup(0).entrancePath', 'shareFileToGroup(0).entrancePath',
    'shareImageToGroup(0).entrancePath', 'shareTextToGroup(0).entrancePath',
    'shareToOfficialAccount(0).recommendPath', 'shareVideoToGroup(0).entrancePath',
    'showShareImageMenu(0).entrancePath', 'switchTab(0).url',
  ],
  // A component instance's own path fields (an argument that is a component).
  component: [
    'RealtimeLogManager.in(0).is', 'RealtimeLogManager.in(0).route', 'Router.getRouteContext(0).is',
    'Router.getRouteContext(0).route', 'SelectorQuery.in(0).is', 'SelectorQuery.in(0).route',
    'canvasGetImageData(1).is', 'canvasGetImageData(1).route', 'canvasPutImageData(1).is',
    'canvasPutImageData(1).route', 'canvasToTempFilePath(1).is', 'canvasToTempFilePath(1).route',
    'createAudioContext(1).is', 'createAudioContext(1).route', 'createCanvasContext(1).is',
    'createCanvasContext(1).route', 'createLivePlayerContext(1).is', 'createLivePlayerContext(1).route',
    'createMapContext(1).is', 'createMapContext(1).route', 'createOffscreenCanvas(0).compInst.is',
    'createOffscreenCanvas(0).compInst.route', 'createOffscreenCanvas(2).is', 'createOffscreenCanvas(2).route',
    'createVideoContext(1).is', 'createVideoContext(1).route', 'router.getRouteContext(0).is',
    'router.getRouteContext(0).route',
  ],
  // The platform's own services and hosts: WeChat cloud storage and
  // containers, stickers, channels, red packets, customer service, payment.
  platform: [
    'GatewayInstance.call(0).path', 'cloud.callContainer(0).path', 'cloud.connectContainer(0).path',
    'cloud.downloadFile(0).cloudPath', 'cloud.extend.AI.createModel(0).extractPath',
    'cloud.extend.AI.createModel(0).modelPath', 'cloud.extend.AI.createModel(0).reasoningPath',
    'cloud.services.Gateway(0).domain', 'cloud.uploadFile(0).cloudPath', 'navigateToMiniProgram(0).shortLink',
    'openCustomerServiceChat(0).extInfo.url', 'openDesignerProfile(0).url',
    'openEmbeddedMiniProgram(0).shortLink', 'openSingleStickerView(0).url', 'openStickerIPView(0).url',
    'openStickerSetView(0).url', 'openStoreCouponDetail(0).promoterShareLink',
    'requestCommonPayment(0).signData.product_info.head_img', 'showRedPackage(0).url',
  ],
  // Code: a shader's source, a worker script in the code package.
  code: [
    'WebGLRenderingContextBase.shaderSource(1)', 'createWorker(0)',
  ],
  // Not a location at all: names, ids, text, enums, sizes, a regex's source,
  // a postal address, coordinates, a buffer URL the platform made.
  name: [
    'CacheManager.addRule(0).source', 'CacheManager.addRules(0)[].source', 'Canvas.toDataURL(0)',
    'CollectionReference.orderBy(0)', 'EditorContext.insertImage(0).extClass',
    'EditorContext.insertImage(0).height', 'EditorContext.insertImage(0).width',
    'LivePusherContext.applyEyeShadowMakeup(0).shimmerPositionMD5', 'MapContext.moveAlong(0).path',
    'MapContext.removeGroundOverlay(0).id', 'MapContext.updateGroundOverlay(0).id', 'Query.orderBy(0)',
    'Snapshot.takeSnapshot(0).type', 'addPhoneCalendar(0).signature', 'addPhoneContact(0).addressCity',
    'addPhoneContact(0).addressCountry', 'addPhoneContact(0).addressPostalCode',
    'addPhoneContact(0).addressState', 'addPhoneContact(0).addressStreet',
    'addPhoneContact(0).homeAddressCity', 'addPhoneContact(0).homeAddressCountry',
    'addPhoneContact(0).homeAddressPostalCode', 'addPhoneContact(0).homeAddressState',
    'addPhoneContact(0).homeAddressStreet', 'addPhoneContact(0).hostNumber', 'addPhoneContact(0).url',
    'addPhoneContact(0).workAddressCity', 'addPhoneContact(0).workAddressCountry',
    'addPhoneContact(0).workAddressPostalCode', 'addPhoneContact(0).workAddressState',
    'addPhoneContact(0).workAddressStreet', 'addPhoneRepeatCalendar(0).signature', 'chooseMedia(0).sizeType',
    'modifyFriendInteractiveStorage(0).imageUrlId', 'openChannelsUserProfile(0).finderUserName',
    'openLocation(0).address', 'requestCommonPayment(0).signData.description', 'revokeBufferURL(0)',
    'shareAppMessage(0).imageUrlId', 'shareMessageToFriend(0).imageUrlId',
    'shareToOfficialAccount(0).recommendTitle',
  ],
});
