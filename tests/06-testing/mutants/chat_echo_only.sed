# chat_service.c: Chat sends each message back to its sender only, instead
# of broadcasting it to the room.
s/chat_room_broadcast(room, msg);/cg_send(stream, msg);/
