import { composeBrokerDefinitions } from './broker-users.js';

// `npm run topology:export` writes infra/rabbitmq/definitions.dev.json (docker-compose's broker) from this.
process.stdout.write(JSON.stringify(composeBrokerDefinitions(), null, 2) + '\n');
