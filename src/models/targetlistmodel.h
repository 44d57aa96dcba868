#pragma once

#include "core/snapshot.h"

#include <QAbstractListModel>
#include <QList>
#include <QString>

namespace poolscope::models {

/// The monitored targets, one row each, keyed by an id the owner chooses. Updates only emit dataChanged, so
/// the selection in the targets dock survives every sample. GUI thread only.
class TargetListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    // Mirrors db::TargetState without depending on the db layer (models never see libpq).
    enum class State
    {
        Connecting,
        Live,
        Failed,
    };
    Q_ENUM(State)

    enum Role
    {
        IdRole = Qt::UserRole + 1,
        LabelRole, // user@host:port/db
        KindRole,  // TargetKind as int
        StateRole, // State as int
        ErrorRole, // last error message, empty when none
    };

    explicit TargetListModel(QObject *parent = nullptr);

    /// Appends a row in state Connecting; an id already present is left alone. Returns the row.
    int addTarget(int id, const QString &label);
    void removeTarget(int id);
    void setLabel(int id, const QString &label);
    void setKind(int id, TargetKind kind);
    /// `error` is kept for the tooltip; it is cleared when the state is not Failed.
    void setState(int id, State state, const QString &error = {});

    int rowOf(int id) const;
    int idAt(int row) const;
    State stateOf(int id) const;

    static QString stateText(State state);
    static QString kindText(TargetKind kind);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

private:
    struct Row
    {
        int id = 0;
        QString label;
        TargetKind kind = TargetKind::Unknown;
        State state = State::Connecting;
        QString error;
    };
    void rowChanged(int row);

    QList<Row> m_rows;
};

} // namespace poolscope::models
