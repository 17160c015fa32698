/** `POST /webhooks/telegram`: Telegram Bot API updates, verified by the webhook's secret token. */
import { telegram } from "../platforms/telegram/adapter";
import { webhookRoute } from "../platforms/webhook";

export const telegramWebhook = webhookRoute(telegram);
