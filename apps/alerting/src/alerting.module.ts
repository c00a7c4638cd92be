import { PlatformModule, streamRelayProvider } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { AlertProjection } from './alerts/alert-view/alert-projection';
import { AlertWriter } from './alerts/alert-writer/alert-writer';
import { EscalationSweeper } from './alerts/escalation/escalation.sweeper';
import { AlertsHttpController } from './alerts/manage-alerts/alerts.http.controller';
import { ALERTING_CONFIG, type AlertingConfig } from './config';
import { DeviceDirectory } from './devices/directory/device-directory';
import { DeviceEventsHandler } from './evaluation/events/device-events.handler';
import { DomainEventsHandler } from './evaluation/events/domain-events.handler';
import { EventsConsumer } from './evaluation/events/events.consumer';
import { TelemetryEvaluation } from './evaluation/telemetry/telemetry.consumer';
import { DeadlineTracker } from './evaluation/tracking/deadline-tracker';
import { FleetHealthHttpController } from './fleet-health/report/fleet-health.http.controller';
import { FleetHealthReport } from './fleet-health/report/fleet-health.service';
import { MaintenanceWindowsHttpController } from './maintenance/windows/maintenance-windows.http.controller';
import { WindowRegistry } from './maintenance/windows/window-registry';
import { DeliveryWorker } from './notifications/webhooks/delivery-worker';
import { Notifier } from './notifications/webhooks/notifier';
import { WebhooksHttpController } from './notifications/webhooks/webhooks.http.controller';
import { RuleCommandHandler } from './rules/manage-rules/rule-command.handler';
import { RulesHttpController } from './rules/manage-rules/rules.http.controller';
import { RuleRegistry } from './rules/rule-registry/rule-registry';
import { AlertingStorage } from './storage/postgres/alerting-storage';

/**
 * Alerting: rules over telemetry and events, alert lifecycle (event-sourced, relayed to Kafka),
 * webhooks, fleet health. See docs/alerting.md.
 */
@Module({})
export class AlertingModule {
  static forRoot(config: AlertingConfig): DynamicModule {
    return {
      module: AlertingModule,
      imports: [PlatformModule.forRoot({ service: 'alerting', config })],
      controllers: [
        RulesHttpController,
        AlertsHttpController,
        WebhooksHttpController,
        MaintenanceWindowsHttpController,
        FleetHealthHttpController,
      ],
      providers: [
        { provide: ALERTING_CONFIG, useValue: config },
        AlertingStorage,
        RuleRegistry,
        RuleCommandHandler,
        WindowRegistry,
        DeviceDirectory,
        AlertWriter,
        TelemetryEvaluation,
        DeviceEventsHandler,
        DomainEventsHandler,
        EventsConsumer,
        DeadlineTracker,
        AlertProjection,
        streamRelayProvider<AlertingConfig>('alert', ALERTING_CONFIG, (c) => c.ALERT_EVENTS_TOPIC),
        EscalationSweeper,
        Notifier,
        DeliveryWorker,
        FleetHealthReport,
      ],
    };
  }
}
