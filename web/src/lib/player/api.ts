/**
 * Calls of the library/playback contract. Through the app's client (bearer token, refresh,
 * Accept-Language), typed by hand in ./types while the generated schema may lag behind.
 */
import { unwrap } from '../api/client';
import type { HomeData, PlaybackInfo, PlayableType, PlayedState } from './types';

type Call = Promise<{ data?: unknown; error?: unknown; response: Response }>;
interface LooseClient {
  GET(path: string, init?: object): Call;
  PUT(path: string, init?: object): Call;
  DELETE(path: string, init?: object): Call;
  POST(path: string, init?: object): Call;
}

export function playerApi(client: unknown) {
  const api = client as LooseClient;
  return {
    info: (mediaType: PlayableType, id: string) =>
      unwrap(
        api.GET('/api/v1/playback/info/{media_type}/{media_id}', {
          params: { path: { media_type: mediaType, media_id: id } },
        }),
      ) as Promise<PlaybackInfo>,
    home: () => unwrap(api.GET('/api/v1/users/me/home')) as Promise<HomeData>,
    setPlayed: (mediaType: PlayableType, id: string, played: boolean) => {
      const path = '/api/v1/users/me/played/{media_type}/{media_id}';
      const init = { params: { path: { media_type: mediaType, media_id: id } } };
      return unwrap(played ? api.PUT(path, init) : api.DELETE(path, init)) as Promise<PlayedState>;
    },
  };
}
