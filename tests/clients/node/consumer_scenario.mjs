// sqs-consumer against a server, one message failing once: `node consumer_scenario.mjs ENDPOINT_URL QUEUE`.
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";

const [endpoint, name] = process.argv.slice(2);
const BODIES = ["first", "refused once", "third"];
// Bounds the scenario if the refused message never comes back; the test fails on what was not seen.
const GIVE_UP_AFTER_MS = 60_000;

const sqs = new SQSClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  maxAttempts: 1,
});
const { QueueUrl } = await sqs.send(
  new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: "1" } }),
);
for (const body of BODIES) {
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
}

const deliveries = [];
const errors = [];
let processed = 0;
let allProcessed;
const done = new Promise((resolve) => {
  allProcessed = resolve;
});
const consumer = Consumer.create({
  queueUrl: QueueUrl,
  sqs,
  waitTimeSeconds: 1,
  messageSystemAttributeNames: ["ApproximateReceiveCount"],
  handleMessage: async (message) => {
    const receiveCount = message.Attributes.ApproximateReceiveCount;
    deliveries.push([message.Body, receiveCount]);
    if (message.Body === "refused once" && receiveCount === "1") {
      throw new Error("refused on first delivery");
    }
    return message;
  },
});
// Emitted once a handled message is deleted, so the queue counts below are settled.
consumer.on("message_processed", () => {
  processed += 1;
  if (processed === BODIES.length) {
    allProcessed();
  }
});
consumer.on("processing_error", (error) => errors.push(error.message));
consumer.on("error", (error) => errors.push(error.message));
const stopped = new Promise((resolve) => consumer.on("stopped", resolve));

consumer.start();
const giveUp = setTimeout(allProcessed, GIVE_UP_AFTER_MS);
await done;
clearTimeout(giveUp);
consumer.stop();
await stopped;

const counts = await sqs.send(
  new GetQueueAttributesCommand({
    QueueUrl,
    AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
  }),
);
process.stdout.write(JSON.stringify({ deliveries, errors, counts: counts.Attributes }));
