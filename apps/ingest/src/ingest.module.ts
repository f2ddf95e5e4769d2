import { AuthModule } from '@memory/auth';
import { AppConfig, ConfigModule } from '@memory/config';
import { HealthModule } from '@memory/health';
import { KafkaModule } from '@memory/kafka';
import { ArchivedMessageReader } from '@memory/lifecycle';
import { ReadRecorder } from '@memory/persistence';
import { ConversationRepository, MessageRepository, PersistenceModule } from '@memory/persistence';
import { DynamicModule, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HttpIngestService } from './http/http-ingest.service';
import { MessageQueryService } from './http/message-query.service';
import { MessagesController } from './http/messages.controller';
import { ChatMessageConsumer } from './messages/chat-message.consumer';
import { IngestMetrics } from './messages/ingest.metrics';
import { MemoryMessagePublisher } from './messages/memory-message.publisher';
import { MessageStore } from './messages/message.store';
import { INGEST_KEY_MODE, IngestKeyMode } from './messages/key-mode';

/** Ingest's own settings. */
export interface IngestSettings {
  /** Where retention keeps the archives (`RETENTION_ARCHIVE_ROOT`). */
  archiveRoot: string;
  /** How the keys of chat.messages.v1 records are checked (`INGEST_KEY_MODE`). */
  keyMode: IngestKeyMode;
}

@Module({})
export class IngestModule {
  static forRoot(config: AppConfig, settings: IngestSettings): DynamicModule {
    return {
      module: IngestModule,
      imports: [
        ConfigModule.forRoot(config),
        KafkaModule.forRoot(),
        PersistenceModule.forRoot(),
        HealthModule.forRoot(['kafka', 'postgres']),
        AuthModule,
      ],
      controllers: [MessagesController],
      providers: [
        HttpIngestService,
        MessageQueryService,
        ChatMessageConsumer,
        MessageStore,
        MessageRepository,
        ConversationRepository,
        MemoryMessagePublisher,
        IngestMetrics,
        { provide: INGEST_KEY_MODE, useValue: settings.keyMode },
        {
          provide: ArchivedMessageReader,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) =>
            new ArchivedMessageReader(dataSource, settings.archiveRoot),
        },
        {
          // Counts message reads toward conversation importance.
          provide: ReadRecorder,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new ReadRecorder(dataSource),
        },
      ],
    };
  }
}
