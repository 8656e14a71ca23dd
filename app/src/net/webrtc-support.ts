/**
 * Whether this runtime can make peer connections at all. Some browsers have none
 * (WebKitGTK as Debian builds it), and settings, enterprise policies and privacy
 * add-ons can take WebRTC away from the rest: then no attempt can ever succeed, and
 * the person should hear that before choosing files or waiting on a dial.
 */
export function canConnectDirectly(): boolean {
  return typeof globalThis.RTCPeerConnection === 'function';
}
