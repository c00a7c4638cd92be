/** The five services, their default ports and compiled entry points. */
export const SERVICES = [
  { name: 'device-twin', port: 3001 },
  { name: 'command-dispatcher', port: 3002 },
  { name: 'fuota-orchestrator', port: 3003 },
  { name: 'alerting', port: 3004 },
  { name: 'ingestion', port: 3005 },
] as const;

export type ServiceName = (typeof SERVICES)[number]['name'];

export const entryPoint = (root: string, name: string): string => `${root}/dist/apps/${name}/src/main.js`;
