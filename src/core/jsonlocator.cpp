#include "jsonlocator.h"

#include <QList>

namespace poolscope {

namespace {

struct Frame
{
    bool array = false;
    QString path;   // of the container
    QString key;    // objects: the key being read or last read
    int index = -1; // arrays: the element being read
};

QString childPath(const Frame &f)
{
    if (f.array)
        return f.path + QLatin1Char('[') + QString::number(f.index) + QLatin1Char(']');
    return f.path.isEmpty() ? f.key : f.path + QLatin1Char('.') + f.key;
}

} // namespace

int JsonLocator::lineOfOffset(const QByteArray &json, qsizetype offset)
{
    return int(json.left(std::max<qsizetype>(0, offset)).count('\n')) + 1;
}

JsonLocator::JsonLocator(const QByteArray &json)
{
    QList<Frame> stack;
    int line = 1;
    bool expectKey = false;   // inside an object, before a key
    bool valueStarts = false; // the next token starts a value (after ':' or '[' or ',' in an array)
    auto startValue = [&] {
        // A value begins at this line: record the path of an array element.
        if (!stack.isEmpty() && stack.last().array && valueStarts) {
            ++stack.last().index;
            m_lines.insert(childPath(stack.last()), line);
        }
        valueStarts = false;
    };
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char ch = json.at(i);
        switch (ch) {
        case '\n':
            ++line;
            break;
        case ' ':
        case '\t':
        case '\r':
            break;
        case '{':
        case '[': {
            startValue();
            const QString path = stack.isEmpty() ? QString() : childPath(stack.last());
            stack.append({ch == '[', path, QString(), -1});
            expectKey = ch == '{';
            valueStarts = ch == '[';
            break;
        }
        case '}':
        case ']':
            if (stack.isEmpty())
                return;
            stack.removeLast();
            expectKey = false;
            valueStarts = false;
            break;
        case ',':
            if (stack.isEmpty())
                return;
            expectKey = !stack.last().array;
            valueStarts = stack.last().array;
            break;
        case ':':
            valueStarts = false;
            break;
        case '"': {
            // A string: a key when an object expects one, else a value.
            QByteArray text;
            qsizetype j = i + 1;
            for (; j < json.size() && json.at(j) != '"'; ++j) {
                if (json.at(j) == '\\' && j + 1 < json.size())
                    ++j;
                text.append(json.at(j));
            }
            if (j >= json.size())
                return;
            if (expectKey && !stack.isEmpty()) {
                stack.last().key = QString::fromUtf8(text);
                m_lines.insert(childPath(stack.last()), line);
                expectKey = false;
            } else {
                startValue();
            }
            i = j;
            break;
        }
        default:
            // The first character of a number, true, false or null.
            startValue();
            while (i + 1 < json.size() && !QByteArray(",]}\n \t\r").contains(json.at(i + 1)))
                ++i;
            break;
        }
    }
}

} // namespace poolscope
