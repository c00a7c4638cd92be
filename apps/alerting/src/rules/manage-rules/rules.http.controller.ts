import { randomUUID } from 'node:crypto';
import { CurrentActor, Roles } from '@fleet/auth';
import { NotFoundError, ValidationError, type Actor } from '@fleet/core';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { ruleStream, type ExistingRule, type RuleState } from '../rule';
import { RuleRegistry } from '../rule-registry/rule-registry';
import { RuleCommandHandler } from './rule-command.handler';
import { parseRuleId, parseRuleRequest, reasonBody } from './rule.request';

/** A rule as the API shows it. */
export type RuleView = ExistingRule['definition'] & {
  readonly ruleId: string;
  readonly status: ExistingRule['status'];
  readonly definitionVersion: number;
  readonly version: number;
};

const READERS = ['admin', 'operator', 'support', 'viewer'] as const;

/** Managing alert rules (docs/alerting.md). Every change is an event of the rule's stream. */
@Controller('rules')
export class RulesHttpController {
  constructor(
    private readonly commands: RuleCommandHandler,
    private readonly registry: RuleRegistry,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async create(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { definition, reason } = parseRuleRequest(body);
    const ruleId = parseRuleId(body) ?? randomUUID();
    const state = await this.commands.execute(
      { type: 'CreateRule', ruleId, definition },
      commandMetadata({ actor, reason, correlationId: headers['x-correlation-id'] }),
    );
    return this.view(state, res);
  }

  @Get()
  @Roles(...READERS)
  list(): { items: RuleView[] } {
    return { items: this.registry.list().map(toView) };
  }

  @Get(':id')
  @Roles(...READERS)
  get(@Param('id') id: string, @Res({ passthrough: true }) res: Response): RuleView {
    const rule = this.registry.find(id);
    if (!rule) throw new NotFoundError(`rule ${id} not found`, { ruleId: id });
    return this.view(rule, res);
  }

  /** Every version of the rule: who changed what, when and why. */
  @Get(':id/history')
  @Roles(...READERS)
  async history(@Param('id') id: string) {
    const events = await this.store.readStream(ruleStream(id));
    if (events.length === 0) throw new NotFoundError(`rule ${id} not found`, { ruleId: id });
    return {
      items: events.map((e) => ({
        type: e.type,
        version: Number(e.revision) + 1,
        occurredAt: e.metadata.occurredAt,
        actor: e.metadata.actor,
        reason: e.metadata.reason,
        data: e.data,
      })),
    };
  }

  @Put(':id')
  @Roles('admin', 'operator')
  async revise(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() headers: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { definition, reason } = parseRuleRequest(body);
    const state = await this.commands.execute(
      { type: 'ReviseRule', ruleId: id, definition, expectedVersion: ifMatch(headers['if-match']) },
      commandMetadata({ actor, reason, correlationId: headers['x-correlation-id'] }),
    );
    return this.view(state, res);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @Roles('admin', 'operator')
  disable(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('DisableRule', true, id, body, actor, h, res);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @Roles('admin', 'operator')
  enable(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('EnableRule', false, id, body, actor, h, res);
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('admin', 'operator')
  delete(
    @Param('id') id: string,
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers() h: Record<string, string>,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.transition('DeleteRule', true, id, body, actor, h, res);
  }

  private async transition(
    type: 'DisableRule' | 'EnableRule' | 'DeleteRule',
    reasonRequired: boolean,
    ruleId: string,
    body: unknown,
    actor: Actor,
    headers: Record<string, string>,
    res: Response,
  ) {
    const { reason } = parseBody(reasonBody(reasonRequired), body ?? {});
    const state = await this.commands.execute(
      { type, ruleId, expectedVersion: ifMatch(headers['if-match']) },
      commandMetadata({ actor, reason: reason ?? null, correlationId: headers['x-correlation-id'] }),
    );
    return this.view(state, res);
  }

  private view(state: RuleState, res: Response): RuleView {
    if (state.status === 'none') throw new NotFoundError('rule not found');
    res.setHeader('ETag', `"${state.version}"`);
    return toView(state);
  }
}

function toView(rule: ExistingRule): RuleView {
  return {
    ruleId: rule.ruleId,
    status: rule.status,
    definitionVersion: rule.definitionVersion,
    version: rule.version,
    ...rule.definition,
  };
}

function ifMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) throw new ValidationError(`If-Match: expected a rule version such as "3", got ${header}`);
  return Number(match[1]);
}
