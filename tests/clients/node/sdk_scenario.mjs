// What @aws-sdk/client-sqs sees of a server, with its MD5 checks on: `node sdk_scenario.mjs ENDPOINT_URL QUEUE`.
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";

const [endpoint, name] = process.argv.slice(2);
const ATTRIBUTES = {
  Quote: { DataType: "String", StringValue: 'a "quoted" value & <more>' },
  Count: { DataType: "Number", StringValue: "42" },
  Blob: { DataType: "Binary", BinaryValue: Uint8Array.from([0, 255, 13, 10]) },
};

const sqs = new SQSClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
});

async function receiveAll(QueueUrl, count) {
  const messages = [];
  for (let attempt = 0; attempt < 5 && messages.length < count; attempt++) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    messages.push(...(received.Messages ?? []));
  }
  return messages;
}

async function errorName(command) {
  try {
    await sqs.send(command);
  } catch (error) {
    return error.name;
  }
  return null;
}

const seen = { md5_verification: typeof sqs.config.md5 === "function" };
const { QueueUrl } = await sqs.send(
  new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "30" } }),
);
seen.queue_url = QueueUrl;

const sent = await sqs.send(
  new SendMessageCommand({ QueueUrl, MessageBody: "hello from node", MessageAttributes: ATTRIBUTES }),
);
seen.send_digests = [sent.MD5OfMessageBody, sent.MD5OfMessageAttributes];
const batch = await sqs.send(
  new SendMessageBatchCommand({
    QueueUrl,
    Entries: [
      { Id: "plain", MessageBody: "one" },
      { Id: "attributed", MessageBody: "two", MessageAttributes: { Count: ATTRIBUTES.Count } },
    ],
  }),
);
seen.send_batch_successful = (batch.Successful ?? []).map((entry) => entry.Id).sort();

const received = await receiveAll(QueueUrl, 3);
seen.received = received
  .map((message) => ({
    body: message.Body,
    attribute_names: Object.keys(message.MessageAttributes ?? {}).sort(),
    receive_count: message.Attributes?.ApproximateReceiveCount,
  }))
  .sort((a, b) => a.body.localeCompare(b.body));
const blob = received.find((message) => message.Body === "hello from node")?.MessageAttributes?.Blob?.BinaryValue;
seen.binary_round_trips = Buffer.from(blob ?? []).equals(Buffer.from(ATTRIBUTES.Blob.BinaryValue));

const [first, ...rest] = received;
await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
const again = await receiveAll(QueueUrl, 1);
seen.visible_again = again.map((message) => message.Body);
for (const message of [...again, ...rest]) {
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
}

const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
seen.attributes = attributes.Attributes;
seen.missing_queue_error = await errorName(new GetQueueUrlCommand({ QueueName: `${name}-missing` }));
await sqs.send(new DeleteQueueCommand({ QueueUrl }));

process.stdout.write(JSON.stringify(seen));
