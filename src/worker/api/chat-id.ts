/** The `{chatId}` of the HTTP interface's routes. */
import { ApiError } from "../http/errors";
import { encodeChatKey, HTTP_CHAT_ID } from "../platforms/chat-key";

/** The chat key of an HTTP chat (`http:<chatId>`), after checking the id. */
export function chatKeyOf(chatId: string): string {
  if (!HTTP_CHAT_ID.test(chatId)) throw new ApiError(400, "invalid_chat_id", "chatId: must match [A-Za-z0-9_-]{1,64}");
  return encodeChatKey({ platform: "http", chatId });
}
