// libFuzzer: what PoolScope decodes itself in a recording file (the file's pages are SQLite's, checked by
// SQLite and PRAGMA quick_check): session frames (zlib streams, keyframes and the deltas after them) and the
// pooler's SHOW CLIENTS / SHOW SERVERS rounds. The first byte picks the form:
//  0  the rest is a stored session keyframe, decoded and its sessions rebuilt;
//  1  the rest is a stored pooler round, decoded;
//  2  the rest is frame text: before the first form feed a keyframe's, after it a delta's, compressed here
//     (a fuzzer rarely writes a valid zlib stream: this reaches the line parser and the delta rules);
//  3  the rest is round text, compressed here.
// Seeds: tests/fuzz/corpus/recording.
#include "core/postgressample.h"
#include "record/poolercodec.h"
#include "record/sessioncodec.h"
#include "record/textfields.h"

#include <cstddef>
#include <cstdint>

using namespace poolscope;
using namespace poolscope::record;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    QString error;
    switch (data[0] % 4) {
    case 0: {
        SessionFrameDecoder decoder;
        if (decoder.apply(bytes, true, &error))
            decoder.sessions();
        break;
    }
    case 1:
        decodePoolerRound(bytes, &error);
        break;
    case 2: {
        const qsizetype split = bytes.indexOf('\f');
        const QByteArray keyframe = split < 0 ? bytes : bytes.left(split);
        SessionFrameDecoder decoder;
        decoder.apply(fields::deflateWith(bytes.mid(split + 1)), false, &error); // no keyframe yet: refused
        if (decoder.apply(fields::deflateWith(keyframe), true, &error)) {
            decoder.sessions();
            if (split >= 0 && decoder.apply(fields::deflateWith(bytes.mid(split + 1)), false, &error))
                decoder.sessions();
        }
        for (const QByteArray &line : keyframe.split('\n')) {
            Session s;
            decodeSession(line.mid(1), &s);
        }
        break;
    }
    case 3:
        if (const auto round = decodePoolerRound(fields::deflateWith(bytes), &error))
            encodePoolerRound(round->clients, round->servers);
        break;
    }
    return 0;
}
