#pragma once

#include <QAbstractItemModel>
#include <QIdentityProxyModel>

namespace poolscope::models {

/// The first column of a model, for a list view (the targets dock over TargetListModel). A QListView lays
/// all its items out again on any dataChanged of its model, whatever the column: this proxy forwards only
/// the changes that touch column 0, so the fleet's figures, which change at every sample, leave the list
/// alone.
class FirstColumnModel : public QIdentityProxyModel
{
public:
    using QIdentityProxyModel::QIdentityProxyModel;

    int columnCount(const QModelIndex &parent = {}) const override
    {
        return sourceModel() && !parent.isValid() ? 1 : 0;
    }

    void setSourceModel(QAbstractItemModel *source) override
    {
        if (sourceModel())
            disconnect(sourceModel(), &QAbstractItemModel::dataChanged, this, nullptr);
        QIdentityProxyModel::setSourceModel(source);
        if (!source)
            return;
        // Replaces QIdentityProxyModel's own forwarding of dataChanged.
        disconnect(source, &QAbstractItemModel::dataChanged, this, nullptr);
        connect(source, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex &topLeft, const QModelIndex &bottomRight, const QList<int> &roles) {
                    if (topLeft.column() > 0)
                        return;
                    Q_EMIT dataChanged(mapFromSource(topLeft), mapFromSource(bottomRight.siblingAtColumn(0)),
                                       roles);
                });
    }
};

} // namespace poolscope::models
