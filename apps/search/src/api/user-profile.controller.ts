import { ApiKeyIdentity, ApiKeyProtected, Caller, RequireScope, userOfCall } from '@memory/auth';
import { IdentifierPipe, parseOrBadRequest } from '@memory/runtime';
import { UserProfile, UserProfileReader, UserRollup } from '@memory/summarization';
import { z } from 'zod';
import {
  Controller,
  Get,
  Logger,
  NotFoundException,
  Param,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM');
const rollupsQuery = z
  .object({
    from: month.optional(),
    to: month.optional(),
    q: z.string().trim().min(1).max(500).optional(),
    limit: z.coerce.number().int().min(1).max(120).default(12),
  })
  .strict()
  .refine(({ from, to }) => from === undefined || to === undefined || from <= to, {
    path: ['to'],
    message: 'must not be before from',
  });

const PROFILE_EXAMPLE: UserProfile = {
  tenantId: 'acme',
  userId: 'user-7',
  version: 4,
  backend: 'local',
  builtAt: '2026-05-02T09:00:00.000Z',
  sections: {
    facts: [{ text: 'Moved to Lisbon in March', conversations: ['conv-42'] }],
    preferences: [{ text: 'I prefer morning appointments', conversations: ['conv-42', 'conv-57'] }],
    decisions: [{ text: 'Rent a van (why: the car is too small)', conversations: ['conv-57'] }],
    openItems: [{ text: 'Send the new lease to the bank', conversations: ['conv-57'] }],
  },
  conversations: ['conv-42', 'conv-57'],
};

@ApiTags('search')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class UserProfileController {
  private readonly logger = new Logger(UserProfileController.name);

  constructor(private readonly profiles: UserProfileReader) {}

  @Get('users/:userId/rollups')
  @RequireScope('search')
  @ApiOperation({
    summary: "A user's monthly roll-ups: what happened each month",
    description:
      "For the API key's tenant: per month (UTC, by each conversation's last message), a " +
      "summary of that month's conversation summaries of the user, with the conversations it " +
      'came from, newest month first. `from`/`to` (YYYY-MM, inclusive) narrow the months; `q` ' +
      'searches their text (full-text, English: words, "phrases", -exclusions), best match ' +
      'first. Built again with the profile, when a month’s conversations changed.',
  })
  @ApiParam({ name: 'userId', example: 'user-7' })
  @ApiQuery({ name: 'from', required: false, example: '2026-01' })
  @ApiQuery({ name: 'to', required: false, example: '2026-03' })
  @ApiQuery({ name: 'q', required: false, example: 'lease bank' })
  @ApiQuery({ name: 'limit', required: false, description: '1-120, default 12' })
  @ApiOkResponse({ description: '{userId, items: [{month, text, sections, conversations, …}]}' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  @ApiServiceUnavailableResponse({ description: 'Postgres failed' })
  async rollups(
    @Caller() caller: ApiKeyIdentity,
    @Param('userId', IdentifierPipe) userId: string,
    @Query() rawQuery: Record<string, string>,
  ): Promise<{ userId: string; items: UserRollup[] }> {
    userOfCall(caller, userId);
    const { from, to, q, limit } = parseOrBadRequest(rollupsQuery, rawQuery, 'invalid query');
    try {
      const items = await this.profiles.rollups(caller.tenantId, userId, {
        from,
        to,
        query: q,
        limit,
      });
      return { userId, items };
    } catch (error) {
      this.logger.error({
        msg: 'roll-ups read failed',
        tenantId: caller.tenantId,
        userId,
        error: String(error),
      });
      throw new ServiceUnavailableException({ message: 'roll-ups are unavailable, try again' });
    }
  }

  @Get('users/:userId/profile')
  @RequireScope('search')
  @ApiOperation({
    summary: 'The profile of a user, built from their conversations',
    description:
      "For the API key's tenant: what the user's newest summaries (SUMMARY_PROFILE_CONVERSATIONS) " +
      'say about them: facts, preferences, decisions (with their rationale) and open items, ' +
      'each with the conversations it came from. The summarizer builds it again when a summary ' +
      'of the user changed, at most every SUMMARY_PROFILE_INTERVAL_MS, locally or with the LLM ' +
      'when one is configured. Erasing a conversation drops the profiles citing it (built ' +
      'again from what is left); erasing the user drops theirs.',
  })
  @ApiParam({ name: 'userId', example: 'user-7' })
  @ApiOkResponse({
    description: '{tenantId, userId, version, backend, builtAt, sections, conversations}',
    content: { 'application/json': { example: PROFILE_EXAMPLE } },
  })
  @ApiNotFoundResponse({ description: 'No profile of this user in the tenant (yet)' })
  @ApiServiceUnavailableResponse({ description: 'Postgres failed' })
  async profile(
    @Caller() caller: ApiKeyIdentity,
    @Param('userId', IdentifierPipe) userId: string,
  ): Promise<UserProfile> {
    userOfCall(caller, userId);
    let profile: UserProfile | undefined;
    try {
      profile = await this.profiles.load(caller.tenantId, userId);
    } catch (error) {
      this.logger.error({
        msg: 'profile read failed',
        tenantId: caller.tenantId,
        userId,
        error: String(error),
      });
      throw new ServiceUnavailableException({ message: 'profiles are unavailable, try again' });
    }
    if (!profile) throw new NotFoundException({ message: `no profile of user "${userId}"` });
    return profile;
  }
}
