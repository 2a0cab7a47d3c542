/** Camera, microphone and screen: getting them, and saying clearly why when we cannot. */

export async function getCamera(devices: { camera?: string; mic?: string } = {}): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    video: devices.camera ? { deviceId: { exact: devices.camera } } : true,
    audio: devices.mic ? { deviceId: { exact: devices.mic } } : true,
  });
}

/** A sentence for a person, from a getUserMedia/getDisplayMedia failure. */
export function describeMediaError(err: unknown): string {
  const name = (err as { name?: string }).name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Camera and microphone are blocked for this page. Allow them in the site settings and reload — meanwhile you can still join to watch and chat.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No camera or microphone was found. You can still join to watch and chat.';
  }
  if (name === 'NotReadableError') {
    return 'The camera or microphone is in use by another program. Close it and try again.';
  }
  return `Could not start the camera: ${(err as Error).message}`;
}

/** Fills <select>s (the lobby's and the call's) with the devices of one kind, keeping `current` selected. */
export async function listDevices(
  selects: Iterable<HTMLSelectElement>,
  kind: MediaDeviceKind,
  current?: string,
): Promise<void> {
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === kind && d.deviceId);
  for (const select of selects) {
    select.disabled = devices.length === 0;
    select.replaceChildren(
      ...devices.map((d, i) => {
        const option = document.createElement('option');
        option.value = d.deviceId;
        option.textContent = d.label || `${kind === 'videoinput' ? 'Camera' : 'Microphone'} ${i + 1}`;
        option.selected = d.deviceId === current;
        return option;
      }),
    );
  }
}
