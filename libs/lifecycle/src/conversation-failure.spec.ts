import { failureReason, isolateConversation } from './conversation-failure';

describe(failureReason.name, () => {
  it.each([
    [
      Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', syscall: 'open' }),
      'filesystem',
    ],
    [Object.assign(new Error('bad'), { name: 'ArchiveVerificationError' }), 'archive-verification'],
    [Object.assign(new Error('invalid input'), { name: 'QueryFailedError' }), 'database'],
    [Object.assign(new Error('coded'), { code: 'EWHATEVER' }), 'other'],
    ['a string', 'other'],
  ])('labels %p as %s', (error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });
});

describe(isolateConversation.name, () => {
  const key = { tenantId: 't', conversationId: 'c' };

  it('gives back what the work gives', async () => {
    const onFailure = jest.fn();
    expect(
      await isolateConversation(
        'archive',
        key,
        () => Promise.resolve(),
        onFailure,
        () => Promise.resolve(7),
      ),
    ).toBe(7);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('hands a failure over and gives undefined while the database answers', async () => {
    const onFailure = jest.fn();
    const result = await isolateConversation(
      'erase',
      key,
      () => Promise.resolve(),
      onFailure,
      () => Promise.reject(new Error('broken row')),
    );
    expect(result).toBeUndefined();
    expect(onFailure).toHaveBeenCalledWith({
      step: 'erase',
      tenantId: 't',
      conversationId: 'c',
      reason: 'other',
      error: 'Error: broken row',
    });
  });

  it('throws the error when the database does not answer', async () => {
    const onFailure = jest.fn();
    await expect(
      isolateConversation(
        'erase',
        key,
        () => Promise.reject(new Error('down')),
        onFailure,
        () => Promise.reject(new Error('broken row')),
      ),
    ).rejects.toThrow('broken row');
    expect(onFailure).not.toHaveBeenCalled();
  });
});
