export * from './entities/api-key.entity';
export * from './data-source-options';
export * from './entities/conversation.entity';
export * from './entities/message.entity';
export * from './migrator';
export * from './persistence.module';
