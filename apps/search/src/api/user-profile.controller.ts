import { ApiKeyIdentity, ApiKeyProtected, Caller, RequireScope } from '@memory/auth';
import { IdentifierPipe } from '@memory/runtime';
import { UserProfile, UserProfileReader } from '@memory/summarization';
import {
  Controller,
  Get,
  Logger,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';

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
