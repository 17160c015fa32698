/** `POST /webhooks/slack`: Slack Events API requests, verified by their v0 signature. */
import { slack } from "../platforms/slack/adapter";
import { webhookRoute } from "../platforms/webhook";

export const slackWebhook = webhookRoute(slack);
