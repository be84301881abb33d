-- Transaction log as DayFusion Kiosk 0.1.0 writes it (schema v2).
-- Synthetic data only. Written by tests/releases.rs (write_release_dump); never edit.
BEGIN;
CREATE TABLE transactions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,
        stage TEXT NOT NULL,
        policy_id TEXT NOT NULL,
        policy_version INTEGER NOT NULL,
        evidence_purged_at TEXT,
        record TEXT NOT NULL
    );
INSERT INTO "transactions" VALUES('01a24949-4993-733a-892f-d519dc79026d','2025-06-15T15:06:40.000000000Z','2026-12-06T02:57:49.461912277Z','APPROVED','decided','default',1,NULL,'{"transactionId":"01a24949-4993-733a-892f-d519dc79026d","createdAt":"2025-06-15T15:06:40Z","updatedAt":"2026-12-06T02:57:49.461912277Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"decided","status":"APPROVED","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":{"status":"APPROVED","reasons":["synthetic-approved"],"policy":{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"},"decidedAt":"2025-06-15T15:07:20Z"},"abortReason":null,"sync":"synced","evidencePurgedAt":null}');
INSERT INTO "transactions" VALUES('01a24949-499a-74a0-8a9b-2ac39954f921','2025-06-15T15:07:40.000000000Z','2026-12-06T02:57:49.478279968Z','REJECTED','decided','default',1,NULL,'{"transactionId":"01a24949-499a-74a0-8a9b-2ac39954f921","createdAt":"2025-06-15T15:07:40Z","updatedAt":"2026-12-06T02:57:49.478279968Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"decided","status":"REJECTED","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":{"status":"REJECTED","reasons":["synthetic-rejected"],"policy":{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"},"decidedAt":"2025-06-15T15:08:20Z"},"abortReason":null,"sync":"synced","evidencePurgedAt":null}');
INSERT INTO "transactions" VALUES('01a24949-49a6-7710-964d-411191991ce8','2025-06-15T15:08:40.000000000Z','2025-06-15T15:36:40.000000000Z','APPROVED','decided','default',1,NULL,'{"transactionId":"01a24949-49a6-7710-964d-411191991ce8","createdAt":"2025-06-15T15:08:40Z","updatedAt":"2025-06-15T15:36:40Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"decided","status":"APPROVED","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":{"status":"REVIEW","reasons":["synthetic-review"],"policy":{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"},"decidedAt":"2025-06-15T15:09:20Z"},"abortReason":null,"sync":"pending","evidencePurgedAt":null,"review":{"verdict":"APPROVED","reviewer":"staff-01","reason":"synthetic review","reviewedAt":"2025-06-15T15:36:40Z"}}');
INSERT INTO "transactions" VALUES('01a24949-49b3-71c9-935f-d72742c12ca7','2025-06-15T15:09:40.000000000Z','2025-06-15T15:10:20.000000000Z','REVIEW','decided','default',1,NULL,'{"transactionId":"01a24949-49b3-71c9-935f-d72742c12ca7","createdAt":"2025-06-15T15:09:40Z","updatedAt":"2025-06-15T15:10:20Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"decided","status":"REVIEW","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":{"status":"REVIEW","reasons":["synthetic-review"],"policy":{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"},"decidedAt":"2025-06-15T15:10:20Z"},"abortReason":null,"sync":"pending","evidencePurgedAt":null}');
INSERT INTO "transactions" VALUES('01a24949-49bb-7511-aff1-d0fdc30eafba','2025-06-15T15:10:40.000000000Z','2026-12-06T02:57:49.508142394Z','ABORTED','aborted','default',1,NULL,'{"transactionId":"01a24949-49bb-7511-aff1-d0fdc30eafba","createdAt":"2025-06-15T15:10:40Z","updatedAt":"2026-12-06T02:57:49.508142394Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"aborted","status":"ABORTED","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":null,"abortReason":"customer-cancelled","sync":"synced","evidencePurgedAt":null}');
INSERT INTO "transactions" VALUES('01a24949-49c5-7431-adc4-e83a4d789f97','2025-06-15T15:12:40.000000000Z','2026-12-06T02:57:49.516456889Z','APPROVED','decided','default',1,'2025-09-13T15:06:40.000000000Z','{"transactionId":"01a24949-49c5-7431-adc4-e83a4d789f97","createdAt":"2025-06-15T15:12:40Z","updatedAt":"2026-12-06T02:57:49.516456889Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"decided","status":"APPROVED","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":{"status":"APPROVED","reasons":["synthetic-approved"],"policy":{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"},"decidedAt":"2025-06-15T15:13:20Z"},"abortReason":null,"sync":"synced","evidencePurgedAt":"2025-09-13T15:06:40Z"}');
INSERT INTO "transactions" VALUES('01a24949-49cd-7229-a669-691d049cdd8a','2025-06-15T15:13:40.000000000Z','2025-06-15T15:13:40.000000000Z','IN_PROGRESS','started','default',1,NULL,'{"transactionId":"01a24949-49cd-7229-a669-691d049cdd8a","createdAt":"2025-06-15T15:13:40Z","updatedAt":"2025-06-15T15:13:40Z","kioskId":"kiosk-01","operator":"op-7","product":"account-opening","backend":"embedded","policy":{"id":"default","version":1},"stage":"started","status":"IN_PROGRESS","document":null,"livenessSessionId":null,"liveness":null,"comparison":null,"decision":null,"abortReason":null,"sync":"not-ready","evidencePurgedAt":null}');
CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        transaction_id TEXT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
INSERT INTO "audit_events" VALUES(1,'2026-12-06T02:57:49.458496455Z',NULL,'policy.registered','{"id":"default","version":1,"sha256":"6e2d20ede259ef027e419d3a804ad2e372a6d89fd6a085694b5b8642fa9e3caa"}','0000000000000000000000000000000000000000000000000000000000000000','e2ae4c2c11c77967ff35cd86e2186feee349f3105de48bed766cfd4fbee583c9');
INSERT INTO "audit_events" VALUES(2,'2026-12-06T02:57:49.459461738Z','01a24949-4993-733a-892f-d519dc79026d','transaction.started','{"n":1,"code":"ok","recordSha256":"7cc06665a94a58b1b4ed8aa0dfe1bc17f993d7ca737e7479cd2bf9e07a67e6d9"}','e2ae4c2c11c77967ff35cd86e2186feee349f3105de48bed766cfd4fbee583c9','a703da1a574c14c8cf1c951eba6c414253ea44ef6fa10665fede63723589557b');
INSERT INTO "audit_events" VALUES(3,'2026-12-06T02:57:49.460239333Z','01a24949-4993-733a-892f-d519dc79026d','decision.made','{"n":2,"code":"ok","recordSha256":"29fe91fb5dcb8a7f53f5c402d5653e1d063eba93e701e7885a4e79715cfaf779"}','a703da1a574c14c8cf1c951eba6c414253ea44ef6fa10665fede63723589557b','3bb2f4a81021c659e9a2e35bf3f742f290bf4721a494e64e936f195bfe5f8c97');
INSERT INTO "audit_events" VALUES(4,'2026-12-06T02:57:49.461991304Z','01a24949-4993-733a-892f-d519dc79026d','sync.completed','{"attempts":0,"remoteRecordSha256":"29fe91fb5dcb8a7f53f5c402d5653e1d063eba93e701e7885a4e79715cfaf779","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"c2d3628f969753592f3436f6da0736c83285ccb98a7f6eadd83334ce981ac12c"}','3bb2f4a81021c659e9a2e35bf3f742f290bf4721a494e64e936f195bfe5f8c97','8a5cf481f6c32eefd380fabc0ec40a786e25fe0543f01ac20900acbb9e04e274');
INSERT INTO "audit_events" VALUES(5,'2026-12-06T02:57:49.466872872Z','01a24949-499a-74a0-8a9b-2ac39954f921','transaction.started','{"n":1,"code":"ok","recordSha256":"d3a4db08748cf031de7465dc785e486dae8662fead2bdf17672e58097da1d9c9"}','8a5cf481f6c32eefd380fabc0ec40a786e25fe0543f01ac20900acbb9e04e274','f5207cb4d275242e41d4b1680cc9b5bb43a4fb0b7dc1f7de07e71628f7561f17');
INSERT INTO "audit_events" VALUES(6,'2026-12-06T02:57:49.470449562Z','01a24949-499a-74a0-8a9b-2ac39954f921','decision.made','{"n":2,"code":"ok","recordSha256":"12d0715d46ffdf1b1334d3eadd436059a5a3431983391222d55aabf60b871c14"}','f5207cb4d275242e41d4b1680cc9b5bb43a4fb0b7dc1f7de07e71628f7561f17','8929103972d5cc4db49a2990cb451f16d2ef281c6fe8e2319fd8efb44c2c120f');
INSERT INTO "audit_events" VALUES(7,'2026-12-06T02:57:49.478376271Z','01a24949-499a-74a0-8a9b-2ac39954f921','sync.completed','{"attempts":0,"remoteRecordSha256":"12d0715d46ffdf1b1334d3eadd436059a5a3431983391222d55aabf60b871c14","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"bef771ac0de4d612844ebcc53d93832029330cbb42193dac168e8648476de587"}','8929103972d5cc4db49a2990cb451f16d2ef281c6fe8e2319fd8efb44c2c120f','b9686c1089280573a976c2440c2cd9f501355481905721da102e7974e05aace7');
INSERT INTO "audit_events" VALUES(8,'2026-12-06T02:57:49.479022370Z','01a24949-49a6-7710-964d-411191991ce8','transaction.started','{"n":1,"code":"ok","recordSha256":"973aea4c0923ea263c21b19ee1ddc0fad13052d30af264c4e671886a267a036a"}','b9686c1089280573a976c2440c2cd9f501355481905721da102e7974e05aace7','d598a0137848e83ed20ac252e8f39acb93c4d92e8b1662098b680d0e2cd91d5a');
INSERT INTO "audit_events" VALUES(9,'2026-12-06T02:57:49.481247934Z','01a24949-49a6-7710-964d-411191991ce8','decision.made','{"n":2,"code":"ok","recordSha256":"1b689c9f0e12004329f3c3e99342b42b45acdb8764e96d7181073eee64992980"}','d598a0137848e83ed20ac252e8f39acb93c4d92e8b1662098b680d0e2cd91d5a','ceb7a8e148d1024c030d856115a13c99a04a12c506687549b9e7f7eb212f4d19');
INSERT INTO "audit_events" VALUES(10,'2026-12-06T02:57:49.485533537Z','01a24949-49a6-7710-964d-411191991ce8','sync.completed','{"attempts":0,"remoteRecordSha256":"1b689c9f0e12004329f3c3e99342b42b45acdb8764e96d7181073eee64992980","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"13b332fb5709e57c0eac6b40865f1b13f4ec40714c599c3605f5d7ab66d3046e"}','ceb7a8e148d1024c030d856115a13c99a04a12c506687549b9e7f7eb212f4d19','5ac1988e7e161fb7e3d9d1136e9fd1dc9f1ac0810d5c1df7b7bee8dacfc0042a');
INSERT INTO "audit_events" VALUES(11,'2026-12-06T02:57:49.490261086Z','01a24949-49a6-7710-964d-411191991ce8','review.recorded','{"n":3,"code":"ok","recordSha256":"bb827f1a58e7494a1d81ceba734867515897258e8e4d43801fb81152d80a5f89"}','5ac1988e7e161fb7e3d9d1136e9fd1dc9f1ac0810d5c1df7b7bee8dacfc0042a','afecf45cd42a385cdc6fe16043cf7ae86a22119daf35d6fb46d92624c7c43bef');
INSERT INTO "audit_events" VALUES(12,'2026-12-06T02:57:49.491443261Z','01a24949-49b3-71c9-935f-d72742c12ca7','transaction.started','{"n":1,"code":"ok","recordSha256":"b0e871b1dd39c966fbd2a6a9426bc26b9d7bde0f35ff26a0581a02c56a99f8a4"}','afecf45cd42a385cdc6fe16043cf7ae86a22119daf35d6fb46d92624c7c43bef','cbdef7622a1ef7fe59278375dcfaf03d2e575c971ac222e73126e7a8be9cf332');
INSERT INTO "audit_events" VALUES(13,'2026-12-06T02:57:49.492846074Z','01a24949-49b3-71c9-935f-d72742c12ca7','decision.made','{"n":2,"code":"ok","recordSha256":"b523ed7435469e12dfc217b873c930d3cefac725b04a2cc2e069cca4ab6e3cfb"}','cbdef7622a1ef7fe59278375dcfaf03d2e575c971ac222e73126e7a8be9cf332','050db5ebfc2d641bef1312d79d67610037c67035d482c6976c1dfbb18ca19ce0');
INSERT INTO "audit_events" VALUES(14,'2026-12-06T02:57:49.495180670Z','01a24949-49b3-71c9-935f-d72742c12ca7','sync.failed','{"code":"aws-unreachable","attempts":1,"recordSha256":"b523ed7435469e12dfc217b873c930d3cefac725b04a2cc2e069cca4ab6e3cfb"}','050db5ebfc2d641bef1312d79d67610037c67035d482c6976c1dfbb18ca19ce0','4b0bda21270cb4fb14137f28b0901f400036b4be82627625090b163ad9e6a9d8');
INSERT INTO "audit_events" VALUES(15,'2026-12-06T02:57:49.499505431Z','01a24949-49bb-7511-aff1-d0fdc30eafba','transaction.started','{"n":1,"code":"ok","recordSha256":"cee3ee08deab15fbdd9b8dea35d64f1af6102fc7d53f2dd8d9f255a94b4339a0"}','4b0bda21270cb4fb14137f28b0901f400036b4be82627625090b163ad9e6a9d8','159723d7e083be2ef3e36fefb53463ee80848d0395f1a1fbc77138ccf82f028d');
INSERT INTO "audit_events" VALUES(16,'2026-12-06T02:57:49.507413652Z','01a24949-49bb-7511-aff1-d0fdc30eafba','transaction.aborted','{"n":2,"code":"ok","recordSha256":"11d5bd317f0b1227f506ead5a80e318584c968626b1181f2a4cb547e09b64ed2"}','159723d7e083be2ef3e36fefb53463ee80848d0395f1a1fbc77138ccf82f028d','00f65d427cae22522a1788418ff4da356067368a81b3de6d91526f22803271c7');
INSERT INTO "audit_events" VALUES(17,'2026-12-06T02:57:49.508212027Z','01a24949-49bb-7511-aff1-d0fdc30eafba','sync.completed','{"attempts":0,"remoteRecordSha256":"11d5bd317f0b1227f506ead5a80e318584c968626b1181f2a4cb547e09b64ed2","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"4030c285235d1f51e631f4fea2cf440d6a4c98a4eb32b4bd63eabc9a76c471c2"}','00f65d427cae22522a1788418ff4da356067368a81b3de6d91526f22803271c7','b0dd09fed345f15319454c4a741ef3d007656b729cb5f432800e49ae6dfe41ca');
INSERT INTO "audit_events" VALUES(18,'2026-12-06T02:57:49.509492248Z','01a24949-49c5-7431-adc4-e83a4d789f97','transaction.started','{"n":1,"code":"ok","recordSha256":"894d4bdd89600a8f4fcc447673d776da292781c17a62b6c259d685847b3963ea"}','b0dd09fed345f15319454c4a741ef3d007656b729cb5f432800e49ae6dfe41ca','41ba13975905c39c8d1824210f6aa590fda6b792300a7514a8245d61a14151fe');
INSERT INTO "audit_events" VALUES(19,'2026-12-06T02:57:49.512940468Z','01a24949-49c5-7431-adc4-e83a4d789f97','decision.made','{"n":2,"code":"ok","recordSha256":"8f674030dd64648ca6906b521e90faf9b19d4dc2016b80e567522b03711fce49"}','41ba13975905c39c8d1824210f6aa590fda6b792300a7514a8245d61a14151fe','b3e77402268e4b62904f826d2fabb4c3e264d1789ccdfb9a91a55a07f4d75a6a');
INSERT INTO "audit_events" VALUES(20,'2026-12-06T02:57:49.514964723Z','01a24949-49c5-7431-adc4-e83a4d789f97','sync.completed','{"attempts":0,"remoteRecordSha256":"8f674030dd64648ca6906b521e90faf9b19d4dc2016b80e567522b03711fce49","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"31589b7b0fd03027ae77c4639b9bba8775720e4445ec253d62bdc104f3d8ba13"}','b3e77402268e4b62904f826d2fabb4c3e264d1789ccdfb9a91a55a07f4d75a6a','c38096fef26e6556332eb057cc0ca0495abdfdb55086970bbdffdf0a0614cf80');
INSERT INTO "audit_events" VALUES(21,'2026-12-06T02:57:49.515786073Z','01a24949-49c5-7431-adc4-e83a4d789f97','evidence.purged','{"n":3,"code":"ok","recordSha256":"7c78c42803448aaab4353f0b02afaa58ce44146b5d83cd2d0d0090f94226a098"}','c38096fef26e6556332eb057cc0ca0495abdfdb55086970bbdffdf0a0614cf80','5aee29a17cf85191f2554753c369539a59e4216082e68a50d0a9b0c785737aa1');
INSERT INTO "audit_events" VALUES(22,'2026-12-06T02:57:49.516544198Z','01a24949-49c5-7431-adc4-e83a4d789f97','sync.completed','{"attempts":0,"remoteRecordSha256":"7c78c42803448aaab4353f0b02afaa58ce44146b5d83cd2d0d0090f94226a098","s3ObjectsUploaded":0,"s3ObjectsDeleted":0,"recordSha256":"4c802c96e082a42b834a793e81fcdc8deb98854b033126dd2e43a4e346f8fccf"}','5aee29a17cf85191f2554753c369539a59e4216082e68a50d0a9b0c785737aa1','062890d585a3a2f70d146e79ec0bc31434ced8835466cacb746d68e1fefc080f');
INSERT INTO "audit_events" VALUES(23,'2026-12-06T02:57:49.517939520Z','01a24949-49cd-7229-a669-691d049cdd8a','transaction.started','{"n":1,"code":"ok","recordSha256":"da04f2126b62214e3ad3c3f01f9183eda50a65e3c39078e5523fd1935f1bbe37"}','062890d585a3a2f70d146e79ec0bc31434ced8835466cacb746d68e1fefc080f','a111874e6e1cf4e69b0fa3b85be083b42991fef6b9b3fa0cd2a2bf32d19b8ce3');
INSERT INTO "audit_events" VALUES(24,'2026-12-06T02:57:49.519540927Z',NULL,'purge.run','{"purged":1}','a111874e6e1cf4e69b0fa3b85be083b42991fef6b9b3fa0cd2a2bf32d19b8ce3','29304ce65dce29cc9c698b3529e49923767406a1f10ce153919b1269dd967605');
INSERT INTO "audit_events" VALUES(25,'2026-12-06T02:57:49.520450608Z','01a24949-4993-733a-892f-d519dc79026d','transaction.viewed','{"staff":"staff-01","recordSha256":"c2d3628f969753592f3436f6da0736c83285ccb98a7f6eadd83334ce981ac12c"}','29304ce65dce29cc9c698b3529e49923767406a1f10ce153919b1269dd967605','582b1c905bb8550d2b697c6901718069657eff318beb36a8e8ea3e9fc1677d92');
CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
INSERT INTO "audit_head" VALUES(1,25,'582b1c905bb8550d2b697c6901718069657eff318beb36a8e8ea3e9fc1677d92');
CREATE TABLE policies (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        first_used_at TEXT NOT NULL,
        PRIMARY KEY (id, version)
    );
INSERT INTO "policies" VALUES('default',1,'{"id":"default","version":1,"description":"The guide''s thresholds: liveness >= 70 and similarity >= 80.","livenessMin":70.0,"similarityMin":80.0,"reviewBand":10.0,"passiveLiveness":"allow"}','6e2d20ede259ef027e419d3a804ad2e372a6d89fd6a085694b5b8642fa9e3caa','2026-12-06T02:57:49.458448214Z');
CREATE TABLE outbox (
        transaction_id TEXT PRIMARY KEY REFERENCES transactions(id),
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
INSERT INTO "outbox" VALUES('01a24949-49a6-7710-964d-411191991ce8','2026-12-06T02:57:49.490298351Z',0,NULL);
INSERT INTO "outbox" VALUES('01a24949-49b3-71c9-935f-d72742c12ca7','2026-12-06T02:57:49.492879624Z',1,'aws-unreachable');
CREATE TABLE kiosk_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
INSERT INTO "kiosk_state" VALUES('schema.oldest_compatible','2');
INSERT INTO "kiosk_state" VALUES('schema.migrated_by','0.1.0');
INSERT INTO "kiosk_state" VALUES('aws-outbox','on');
CREATE INDEX transactions_created_at ON transactions(created_at);
CREATE INDEX audit_events_transaction ON audit_events(transaction_id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
PRAGMA user_version = 2;
COMMIT;
