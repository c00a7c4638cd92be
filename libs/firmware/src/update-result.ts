/** LwM2M object 5 (Firmware Update) State, resource /5/0/3. */
export const FirmwareUpdateState = { Idle: 0, Downloading: 1, Downloaded: 2, Updating: 3 } as const;
export type FirmwareUpdateState = (typeof FirmwareUpdateState)[keyof typeof FirmwareUpdateState];

/** LwM2M object 5 Update Result, resource /5/0/5, with what each code means to an operator. */
export const UPDATE_RESULTS: Readonly<
  Record<number, { readonly name: string; readonly retriable: boolean }>
> = {
  0: { name: 'initial value', retriable: false },
  1: { name: 'firmware updated successfully', retriable: false },
  2: { name: 'not enough flash memory for the new package', retriable: false },
  3: { name: 'out of RAM during download', retriable: true },
  4: { name: 'connection lost during download', retriable: true },
  5: { name: 'integrity check failure', retriable: false },
  6: { name: 'unsupported package type', retriable: false },
  7: { name: 'invalid URI', retriable: false },
  8: { name: 'firmware update failed', retriable: true },
  9: { name: 'unsupported protocol', retriable: false },
};

export const describeUpdateResult = (code: number): string =>
  UPDATE_RESULTS[code]?.name ?? `unknown result ${code}`;
