-- H2 2.2.224; 
;              
CREATE USER IF NOT EXISTS "SA" SALT 'e2a4d0c1b3f5a697' HASH '8c6d1f0e4b2a39577d9e3c1b2a4f6e8d0c1b3a5f7e9d2c4b6a8f0e1d3c5b7a9f' ADMIN;          
DROP TABLE IF EXISTS "PUBLIC"."ethereum_credentials" CASCADE;  
DROP TABLE IF EXISTS "PUBLIC"."tee_challenge" CASCADE;         
DROP TABLE IF EXISTS "PUBLIC"."tee_task_compute_secret" CASCADE;               
DROP TABLE IF EXISTS "PUBLIC"."web2secret" CASCADE;            
DROP TABLE IF EXISTS "PUBLIC"."web3secret" CASCADE;            
CREATE CACHED TABLE "PUBLIC"."ethereum_credentials"(
    "is_encrypted" BOOLEAN NOT NULL,
    "address" CHARACTER VARYING(255),
    "id" CHARACTER VARYING(255) NOT NULL,
    "private_key" CHARACTER VARYING(255)
);             
ALTER TABLE "PUBLIC"."ethereum_credentials" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_F" PRIMARY KEY("id");          
-- 3 +/- SELECT COUNT(*) FROM PUBLIC.ethereum_credentials;
INSERT INTO "PUBLIC"."ethereum_credentials" VALUES
(TRUE, '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', '0b6f4a1e-8f0c-4a57-9c3e-2f8d7b1a6c90', 'MiYPSFgOAoBJ0+EguDq35Ti0kdhp3lzlLDjPIuq7h1Ky8dlmE8MvFrLmHhHh4Qc3WY8YDrj6vW/B72jahHznazNjk5zIvqv55ZhOTifMf/g='),
(TRUE, '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', '7d2e9b3c-1a4f-4e6d-8b0a-5c9f3e2d1b7a', 'PD+Ie/yy/l1gZ/qErFqzAdWVIjLIvYmupqVpYrjHwuHvWplOCzUcTzsjwRnCbZgKX/QTm4qNqtKrfmqErwGBsSG8/9bQ+B/LHDrG7XHmjMM='),
(TRUE, '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', 'c4a8e6f2-9d1b-4c3a-a7e5-0f2b8d6c4e1a', 'PD+Ie/yy/l1gZ/qErFqzAdWVIjLIvYmupqVpYrjHwuHvWplOCzUcTzsjwRnCbZgKX/QTm4qNqtKrfmqErwGBsSG8/9bQ+B/LHDrG7XHmjMM=');  
CREATE CACHED TABLE "PUBLIC"."tee_challenge"(
    "final_deadline" TIMESTAMP(6) WITH TIME ZONE,
    "credentials_id" CHARACTER VARYING(255),
    "id" CHARACTER VARYING(255) NOT NULL,
    "task_id" CHARACTER VARYING(255)
);             
ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_3" PRIMARY KEY("id"); 
-- 2 +/- SELECT COUNT(*) FROM PUBLIC.tee_challenge;
INSERT INTO "PUBLIC"."tee_challenge" VALUES
(TIMESTAMP WITH TIME ZONE '2024-06-12 09:30:15.123456+00', '0b6f4a1e-8f0c-4a57-9c3e-2f8d7b1a6c90', '5e1d7c3b-2a9f-4b8e-9d6c-1f0a3e5b7c92', '0xE9A0B0D6C3F5E1A2B4C6D8E0F1A3B5C7D9E1F3A5B7C9D1E3F5A7B9C1D3E5F7A9'),
(NULL, '7d2e9b3c-1a4f-4e6d-8b0a-5c9f3e2d1b7a', '9a3c5e7b-4d2f-4a1e-b8c6-3e5f7a9c1d2b', '0x00000000000000000000000000000000000000000000000000000000000000a1');  
CREATE CACHED TABLE "PUBLIC"."tee_task_compute_secret"(
    "on_chain_object_type" TINYINT NOT NULL,
    "secret_owner_role" TINYINT NOT NULL,
    "key" CHARACTER VARYING(64) NOT NULL,
    "fixed_secret_owner" CHARACTER VARYING(255) NOT NULL,
    "on_chain_object_address" CHARACTER VARYING(255) NOT NULL,
    "value" CHARACTER VARYING(8192) NOT NULL
);             
ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D" PRIMARY KEY("fixed_secret_owner", "key", "on_chain_object_address", "on_chain_object_type", "secret_owner_role");        
-- 3 +/- SELECT COUNT(*) FROM PUBLIC.tee_task_compute_secret;
INSERT INTO "PUBLIC"."tee_task_compute_secret" VALUES
(CAST(0 AS TINYINT), CAST(0 AS TINYINT), '1', '', '0xab8483f64d9c6d1ecf9b849ae677dd3315835cb2', 'i+fRABX6LoVAxsMwRzDh8IRvPR7qmOgleRbWrQjnDnI='),
(CAST(0 AS TINYINT), CAST(1 AS TINYINT), 'my-key', '0x5b38da6a701c568545dcfcb03fcb875f56beddc4', '', '8KpcFk9VlATrsdB8vk63orDZEhHcaTbKtI7zP1CGlpA='),
(CAST(0 AS TINYINT), CAST(1 AS TINYINT), 'Other_Key-2', '0x5b38da6a701c568545dcfcb03fcb875f56beddc4', '', '8TSYNzeuzGq2VzVHS1evaVlD1bBXh1EAX1UG1itHPtw=');     
CREATE CACHED TABLE "PUBLIC"."web2secret"(
    "address" CHARACTER VARYING(255) NOT NULL,
    "owner_address" CHARACTER VARYING(255) NOT NULL,
    "value" CHARACTER VARYING(8192)
);             
ALTER TABLE "PUBLIC"."web2secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_8" PRIMARY KEY("address", "owner_address");              
-- 4 +/- SELECT COUNT(*) FROM PUBLIC.web2secret;
INSERT INTO "PUBLIC"."web2secret" VALUES
('my-api-key', '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'Jc6S8pwDp0UxsuFEZZtS1A=='),
(U&'p\00e4ssw\00f6rd-name', '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'N0mqSqFdKRbWMmBvszbFgg=='),
('iexec-result-iexec-result-proxy-url', '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', 'isyuNhFVhKqv9jSDJj+biqNIyI32yEW1Fu8gcgI7CXo='),
('it''s-blank', '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', '');             
CREATE CACHED TABLE "PUBLIC"."web3secret"(
    "address" CHARACTER VARYING(255) NOT NULL,
    "value" CHARACTER VARYING(8192)
);             
ALTER TABLE "PUBLIC"."web3secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_5" PRIMARY KEY("address");               
-- 1 +/- SELECT COUNT(*) FROM PUBLIC.web3secret;
INSERT INTO "PUBLIC"."web3secret" VALUES
('0x1f9840a85d5af5bf1d1762f925bdaddc4201f984', 'VIJgX0UCJ86NIdBiJtK+usu4j3D9jeNt7m6xvlnv1QA=');
ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."UKBM2Q4G2JSSHPBTCQ0XFA5QD3O" UNIQUE("credentials_id");           
ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D4" CHECK("on_chain_object_type" BETWEEN 0 AND 0) NOCHECK;  
ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D4F" CHECK("secret_owner_role" BETWEEN 0 AND 1) NOCHECK;    
ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."FKQ6O8WSJ2BHBD3D3D8U2MFT2TC" FOREIGN KEY("credentials_id") REFERENCES "PUBLIC"."ethereum_credentials"("id") NOCHECK;             
