/**
 * ChirpStack's MQTT integration has no multicast (its gRPC MulticastGroupService enqueues to a
 * group), so the simulated network server takes a multicast downlink as an ordinary
 * `application/{app}/device/{devEui}/command/down` whose DevEUI is `ffffffff` followed by the
 * group's McAddr, like The Things Stack's multicast end devices (docs/lorawan-fuota.md, "Multicast
 * sessions"). No real device has that EUI: `ff…` OUIs are not assigned.
 */
export const MULTICAST_GROUP_EUI_PREFIX = 'ffffffff';

/** The McAddr a simulated multicast DevEUI stands for, or undefined for a device's own EUI. */
export function mcAddrOfGroupEui(devEui: string): string | undefined {
  const eui = devEui.toLowerCase();
  return eui.length === 16 && eui.startsWith(MULTICAST_GROUP_EUI_PREFIX) ? eui.slice(8) : undefined;
}
